// MAST page: search (POST /api/mast/search), pick observations and levels, then import
// (POST /api/mast/import) and go to the job page, where progress is followed live.

import { csrfToken, errorMessage } from "./common.js";

const form = document.getElementById("mast-form");
const status = document.getElementById("mast-status");
const table = document.getElementById("mast-results");
const tbody = table.querySelector("tbody");
const importForm = document.getElementById("mast-import");
const importButton = document.getElementById("mast-import-button");
const importStatus = document.getElementById("mast-import-status");

function splitList(value) {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

function showFieldsFor(by) {
  for (const block of form.querySelectorAll("[data-by]")) {
    block.hidden = !block.dataset.by.split(" ").includes(by);
  }
}

function selected() {
  return [...tbody.querySelectorAll("input[type=checkbox]:checked")].map((box) => box.value);
}

function updateImportButton() {
  if (!importButton) return;
  const count = selected().length;
  importButton.disabled = count === 0;
  importButton.textContent = count > 1 ? `Import selected (${count})` : "Import selected";
}

function queryBody() {
  const el = form.elements;
  const by = el.by.value;
  const body = { publicOnly: el.publicOnly.checked };
  if (el.instrument.value) body.instruments = [el.instrument.value];
  const radius = Number(el.radius.value);
  if (by === "target") {
    if (!el.target.value.trim()) throw new Error("enter a target name");
    body.target = el.target.value.trim();
    if (radius > 0) body.radius = radius;
  } else if (by === "coords") {
    if (el.ra.value === "" || el.dec.value === "") throw new Error("enter both RA and Dec");
    body.ra = Number(el.ra.value);
    body.dec = Number(el.dec.value);
    if (radius > 0) body.radius = radius;
  } else if (by === "obs") {
    body.obsIds = splitList(el.obsIds.value);
    if (!body.obsIds.length) throw new Error("enter at least one observation id");
  } else {
    body.programs = splitList(el.programs.value);
    if (!body.programs.length) throw new Error("enter at least one program");
  }
  return body;
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined || text === "" ? "—" : String(text);
  if (className) td.className = className;
  return td;
}

function showRows(items) {
  tbody.replaceChildren();
  for (const row of items) {
    const tr = document.createElement("tr");
    const pick = document.createElement("td");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = row.obs_id;
    box.setAttribute("aria-label", `Select ${row.obs_id}`);
    box.addEventListener("change", updateImportButton);
    pick.append(box);
    tr.append(
      pick,
      cell(row.obs_id, "mono"),
      cell(row.target_name),
      cell(row.instrument_name),
      cell(row.filters),
      cell(row.proposal_id),
      cell(row.calib_level, "num"),
      cell(row.t_exptime === null || row.t_exptime === undefined ? null : Math.round(row.t_exptime), "num"),
    );
    tbody.append(tr);
  }
  table.hidden = items.length === 0;
  updateImportButton();
}

form.addEventListener("change", (event) => {
  if (event.target.name === "by") showFieldsFor(event.target.value);
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  let body;
  try {
    body = queryBody();
  } catch (exc) {
    status.textContent = `Cannot search: ${exc.message}.`;
    return;
  }
  status.textContent = "Searching MAST…";
  try {
    const response = await fetch("/api/mast/search", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      status.textContent = `Search failed: ${await errorMessage(response)}`;
      return;
    }
    const found = await response.json();
    showRows(found.items);
    const shown = found.items.length;
    status.textContent =
      found.count === 0
        ? "No observations found."
        : `${found.count} observation${found.count === 1 ? "" : "s"} found${shown < found.count ? `, ${shown} shown` : ""}.`;
  } catch (exc) {
    status.textContent = `Search failed: ${exc.message}`;
  }
});

if (importForm) {
  importForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const obsIds = selected();
    if (!obsIds.length) {
      importStatus.textContent = "Select at least one observation first.";
      return;
    }
    const levels = [...importForm.querySelectorAll("input[name=levels]:checked")].map((b) => b.value);
    importButton.disabled = true;
    importStatus.textContent = "Starting the import…";
    try {
      const response = await fetch("/api/mast/import", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
        body: JSON.stringify({
          obsIds,
          levels,
          minRecommended: importForm.elements.minRecommended.checked,
        }),
      });
      if (!response.ok) {
        importStatus.textContent = `Import failed: ${await errorMessage(response)}`;
        updateImportButton();
        return;
      }
      const job = await response.json();
      importStatus.textContent = "Import started. ";
      const link = document.createElement("a");
      link.href = `/jobs/${job.id}`;
      link.textContent = "Follow its progress";
      importStatus.append(link);
      window.location.assign(`/jobs/${job.id}`);
    } catch (exc) {
      importStatus.textContent = `Import failed: ${exc.message}`;
      updateImportButton();
    }
  });
}

showFieldsFor(form.elements.by.value);
