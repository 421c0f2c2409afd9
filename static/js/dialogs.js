// Confirmation dialogs and side panels: progressive enhancement of links and buttons
// marked data-open-dialog / data-close-dialog. Without JavaScript the links still work.
document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-open-dialog]");
  if (opener) {
    const dialog = document.getElementById(opener.dataset.openDialog);
    if (dialog && typeof dialog.showModal === "function") {
      event.preventDefault();
      if (!dialog.open) dialog.showModal();
    }
    return;
  }
  const closer = event.target.closest("[data-close-dialog]");
  if (closer) {
    const dialog = closer.closest("dialog");
    if (dialog) {
      event.preventDefault();
      dialog.close();
    }
  }
});

// Dialogs the server renders open (after a redirect, or ?connect=1 without JavaScript)
// become modal, with a backdrop and focus inside.
document.addEventListener("DOMContentLoaded", () => {
  for (const dialog of document.querySelectorAll("dialog[open]")) {
    if (typeof dialog.showModal === "function") {
      dialog.close();
      dialog.showModal();
    }
  }
});
