// Small behaviours of the staff pages, by data attribute (loaded by base.html). The
// Content-Security-Policy refuses inline handlers such as onchange=, so they live here.
//   data-autosubmit       a filter select or checkbox submits its form when changed
//   data-select-on-focus  a read-only field (a link to copy) selects its text on focus
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.submit();
});

document.addEventListener("focusin", (event) => {
  const field = event.target.closest("[data-select-on-focus]");
  if (field && typeof field.select === "function") field.select();
});
