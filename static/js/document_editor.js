// The document editor (quotes, invoices), progressively enhanced: add, reorder and
// remove lines without a reload, fill a line from the chosen product, and show totals
// priced by the server (POST to the preview URL) while typing. Without JavaScript the
// form still works: blank rows, position numbers, "Remove" boxes and an "Update totals"
// button.
(function () {
  "use strict";
  const form = document.getElementById("document-editor");
  if (!form) return;
  const rows = document.getElementById("line-rows");
  const template = document.getElementById("line-template");
  const total = document.getElementById("id_lines-TOTAL_FORMS");
  const add = document.getElementById("add-line");
  const totalsBox = document.getElementById("document-totals");
  const status = document.getElementById("totals-status");
  const products = new Map(
    JSON.parse(document.getElementById("document-products").textContent).map((p) => [String(p.id), p])
  );

  document.getElementById("no-js-refresh").hidden = true;
  add.hidden = false;

  function field(row, name) {
    return row.querySelector(`[name="${row.dataset.prefix}-${name}"]`);
  }

  function visibleRows() {
    return Array.from(rows.querySelectorAll("tr.line-row")).filter((r) => !r.hidden);
  }

  function renumber() {
    visibleRows().forEach((row, index) => {
      field(row, "ORDER").value = String(index + 1);
    });
  }

  function syncTerm(row) {
    const frequency = field(row, "billing_frequency");
    const term = field(row, "term_periods");
    let value = frequency.value;
    if (!value) {
      const product = products.get(field(row, "product").value);
      value = product ? product.billing_frequency : "one_time";
    }
    term.hidden = value === "one_time";
    if (term.hidden) term.value = "";
  }

  function enhance(row) {
    row.querySelectorAll(".js-only").forEach((el) => (el.hidden = false));
    row.querySelector(".no-js-order").hidden = true;
    const remove = field(row, "DELETE");
    const label = row.querySelector(".remove-label");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-ghost";
    button.textContent = "Remove";
    button.setAttribute("aria-label", "Remove this line");
    button.addEventListener("click", () => {
      remove.checked = true;
      row.hidden = true;
      renumber();
      schedule();
    });
    label.hidden = true;
    label.after(button);
    field(row, "product").addEventListener("change", () => fillFromProduct(row));
    field(row, "billing_frequency").addEventListener("change", () => syncTerm(row));
    syncTerm(row);
  }

  function fillFromProduct(row) {
    const product = products.get(field(row, "product").value);
    const name = field(row, "name");
    if (!product) {
      name.placeholder = "Item name";
      return;
    }
    const previous = name.dataset.filledFrom;
    if (!name.value || name.value === previous) {
      name.value = product.name;
      name.dataset.filledFrom = product.name;
    }
    field(row, "sku").value = product.sku;
    const description = field(row, "description");
    if (!description.value) description.value = product.description;
    field(row, "unit_amount").value = product.unit_price;
    field(row, "billing_frequency").value = product.billing_frequency;
    field(row, "term_periods").value = product.term_periods || "";
    syncTerm(row);
  }

  rows.addEventListener("click", (event) => {
    const button = event.target.closest("[data-move]");
    if (!button) return;
    const row = button.closest("tr");
    const list = visibleRows();
    const index = list.indexOf(row);
    if (button.dataset.move === "up" && index > 0) list[index - 1].before(row);
    if (button.dataset.move === "down" && index < list.length - 1) list[index + 1].after(row);
    button.focus();
    renumber();
    schedule();
  });

  add.addEventListener("click", () => {
    const index = parseInt(total.value, 10);
    rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(index)));
    total.value = String(index + 1);
    const row = rows.lastElementChild;
    enhance(row);
    renumber();
    field(row, "product").focus();
  });

  // Live totals: debounced; the latest answer wins.
  let timer = null;
  let sequence = 0;
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }

  async function refresh() {
    const mine = ++sequence;
    status.textContent = "Updating…";
    try {
      const response = await fetch(form.dataset.previewUrl, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      if (mine !== sequence) return;
      totalsBox.innerHTML = data.html;
      for (const row of rows.querySelectorAll("tr.line-row")) {
        row.querySelector("[data-line-total]").textContent = data.lines[row.dataset.prefix] || "";
      }
      status.textContent = "";
    } catch (error) {
      if (mine === sequence) status.textContent = "Totals will update when you save.";
    }
  }

  rows.querySelectorAll("tr.line-row").forEach(enhance);
  renumber();
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  refresh();
})();
