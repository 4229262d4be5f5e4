// Upload page: drop or choose files; each goes to POST /api/data/upload with its own
// progress bar and its own error message. Two uploads run at a time.

import { csrfToken, formatBytes } from "./common.js";

const CONCURRENT = 2;
const form = document.getElementById("upload-form");
const dropzone = document.getElementById("dropzone");
const input = document.getElementById("upload-files");
const list = document.getElementById("upload-list");
const summary = document.getElementById("upload-summary");
const maxBytes = Number(form.dataset.maxBytes);
const queue = [];
const totals = { added: 0, done: 0, failed: 0 };
let running = 0;

function updateSummary(latest) {
  const waiting = totals.added - totals.done - totals.failed;
  const parts = [`${totals.done} of ${totals.added} uploaded`];
  if (totals.failed) parts.push(`${totals.failed} failed`);
  if (waiting) parts.push(`${waiting} in progress`);
  summary.textContent = `${parts.join(", ")}.${latest ? ` ${latest}` : ""}`;
}

function itemFor(file) {
  const item = document.createElement("li");
  item.className = "upload-item";
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = `${file.name} (${formatBytes(file.size)})`;
  const progress = document.createElement("progress");
  progress.max = 100;
  progress.value = 0;
  progress.setAttribute("aria-label", `Upload progress of ${file.name}`);
  const state = document.createElement("span");
  state.className = "state";
  state.textContent = "Waiting…";
  item.append(name, progress, state);
  list.append(item);
  return { item, progress, state };
}

function fail(entry, message) {
  entry.ui.item.classList.add("failed");
  entry.ui.item.dataset.state = "failed";
  entry.ui.state.textContent = `Failed: ${message}`;
  totals.failed += 1;
  updateSummary(`${entry.file.name} failed: ${message}`);
}

function succeed(entry, record, existing) {
  entry.ui.item.classList.add("done");
  entry.ui.item.dataset.state = "done";
  entry.ui.progress.value = 100;
  entry.ui.state.textContent = existing ? "Already uploaded (same content). " : "Uploaded. ";
  const link = document.createElement("a");
  link.href = `/records/${record.id}`;
  link.textContent = `Open ${record.fileName}`;
  entry.ui.state.append(link);
  totals.done += 1;
  updateSummary(`${entry.file.name} uploaded.`);
}

function send(entry) {
  return new Promise((resolve) => {
    const body = new FormData();
    body.append("file", entry.file, entry.file.name);
    body.append("tags", form.elements.tags.value);
    if (form.elements.description.value.trim()) {
      body.append("description", form.elements.description.value.trim());
    }
    body.append("isPublic", form.elements.isPublic.checked ? "true" : "false");
    const request = new XMLHttpRequest();
    request.open("POST", "/api/data/upload");
    request.setRequestHeader("X-CSRF-Token", csrfToken());
    request.responseType = "json";
    request.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      const percent = Math.round((event.loaded / event.total) * 100);
      entry.ui.progress.value = percent;
      entry.ui.state.textContent = percent < 100 ? `Uploading… ${percent} %` : "Checking the file…";
    });
    request.addEventListener("load", () => {
      const body = request.response;
      // 200: this user already has the same content; the answer is that record.
      if ((request.status === 201 || request.status === 200) && body) {
        succeed(entry, body, request.status === 200);
      } else {
        const message = body && body.error ? body.error.message : `${request.status} ${request.statusText}`;
        fail(entry, message);
      }
      resolve();
    });
    request.addEventListener("error", () => {
      fail(entry, "the connection failed before the upload finished");
      resolve();
    });
    entry.ui.state.textContent = "Uploading… 0 %";
    request.send(body);
  });
}

function pump() {
  while (running < CONCURRENT && queue.length) {
    const entry = queue.shift();
    running += 1;
    send(entry).finally(() => {
      running -= 1;
      pump();
    });
  }
}

function add(files) {
  for (const file of files) {
    const entry = { file, ui: itemFor(file) };
    totals.added += 1;
    if (file.size === 0) fail(entry, "the file is empty");
    else if (file.size > maxBytes) fail(entry, `larger than the limit of ${formatBytes(maxBytes)}`);
    else queue.push(entry);
  }
  updateSummary();
  pump();
}

input.addEventListener("change", () => {
  add([...input.files]);
  input.value = "";
});
for (const name of ["dragenter", "dragover"]) {
  dropzone.addEventListener(name, (event) => {
    event.preventDefault();
    dropzone.classList.add("dragging");
  });
}
for (const name of ["dragleave", "drop"]) {
  dropzone.addEventListener(name, () => dropzone.classList.remove("dragging"));
}
dropzone.addEventListener("drop", (event) => {
  event.preventDefault();
  if (event.dataTransfer && event.dataTransfer.files.length) add([...event.dataTransfer.files]);
});
form.addEventListener("submit", (event) => event.preventDefault());
