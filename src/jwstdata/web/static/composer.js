// The record page's composer: choose images of the same target, queue a composite or a mosaic
// (POST /api/composites | /api/mosaics), then follow the job on its page.

import { csrfToken, errorMessage } from "./common.js";

const PALETTE = ["#0000ff", "#00ff00", "#ff0000", "#00ffff", "#ffff00", "#ff00ff"];
const section = document.querySelector("[data-composer]");

if (section) {
  const details = document.getElementById("composer-details");
  const rows = document.getElementById("composer-rows");
  const status = document.getElementById("composer-status");
  const stretch = document.getElementById("composer-stretch");
  let loaded = false;

  const setStatus = (text, isError = false) => {
    status.textContent = text;
    status.classList.toggle("error", isError);
  };

  const candidatesUrl = () => {
    const params = new URLSearchParams({ limit: "100", dataType: "image" });
    for (const format of ["fits", "fits.gz"]) params.append("fileFormat", format);
    if (section.dataset.target) params.set("targetName", section.dataset.target);
    else if (section.dataset.observation) params.set("observationBaseId", section.dataset.observation);
    return `/api/data?${params}`;
  };

  const addRow = (record, index) => {
    const row = document.createElement("tr");
    const use = document.createElement("input");
    use.type = "checkbox";
    use.value = record.id;
    use.id = `compose-${record.id}`;
    use.checked = record.id === section.dataset.record;
    const label = document.createElement("label");
    label.htmlFor = use.id;
    label.textContent = record.fileName;
    const colour = document.createElement("input");
    colour.type = "color";
    colour.value = PALETTE[index % PALETTE.length];
    colour.setAttribute("aria-label", `Colour for ${record.fileName}`);
    const cells = [use, label, document.createTextNode(record.imageInfo?.filter || "—"), colour];
    for (const content of cells) {
      const td = document.createElement("td");
      td.append(content);
      row.append(td);
    }
    row.dataset.id = record.id;
    rows.append(row);
  };

  const load = async () => {
    setStatus("Finding images…");
    const response = await fetch(candidatesUrl(), { credentials: "same-origin" });
    if (!response.ok) {
      setStatus(await errorMessage(response), true);
      return;
    }
    const page = await response.json();
    const images = page.items.filter((r) => r.imageInfo && r.imageInfo.wcs && r.filePath);
    if (!images.some((r) => r.id === section.dataset.record)) {
      images.unshift({ id: section.dataset.record, fileName: "this record", imageInfo: {} });
    }
    // bluest first: the order of a composite's channels, and of the default colours
    const wavelength = (r) => {
      const match = /F(\d{3,4})/.exec(r.imageInfo?.filter || "");
      return match ? Number(match[1]) : Number.POSITIVE_INFINITY;
    };
    images.sort((a, b) => wavelength(a) - wavelength(b));
    images.forEach(addRow);
    setStatus(`${images.length} images of this target`);
    loaded = true;
  };

  const chosen = () =>
    [...rows.querySelectorAll("tr")]
      .filter((row) => row.querySelector("input[type=checkbox]").checked)
      .map((row) => ({ id: row.dataset.id, color: row.querySelector("input[type=color]").value }));

  const submit = async (kind) => {
    const picked = chosen();
    const body = { recordIds: picked.map((p) => p.id), parameters: {} };
    if (kind === "composites") {
      body.parameters.channels = picked.map((p) => ({ color: p.color, stretch: stretch.value }));
    }
    setStatus("Queuing…");
    const response = await fetch(`/api/${kind}`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      setStatus(await errorMessage(response), true);
      return;
    }
    const job = await response.json();
    status.replaceChildren("Queued: ");
    const link = document.createElement("a");
    link.href = `/jobs/${job.id}`;
    link.textContent = `job ${job.id}`;
    link.id = "composer-job";
    status.append(link);
  };

  details.addEventListener("toggle", () => {
    if (details.open && !loaded) load();
  });
  document.getElementById("composer-composite").addEventListener("click", () => submit("composites"));
  document.getElementById("composer-mosaic").addEventListener("click", () => submit("mosaics"));
}
