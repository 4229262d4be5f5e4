// Job page: poll GET /api/jobs/{id} every second and show its progress; Cancel and Resume
// call POST /api/jobs/{id}/cancel|resume. The state is the server's, so a reload shows the
// same progress. A processing job's results are rendered by the server: when one finishes
// while the page is open, the page reloads once to show them.

import { csrfToken, errorMessage, formatBytes } from "./common.js";

const POLL_MS = 1000;
const FINISHED = new Set(["completed", "failed", "cancelled"]);
const RESUMABLE = new Set(["failed", "cancelled"]);
const section = document.getElementById("job");
const jobId = section.dataset.jobId;
const el = (id) => document.getElementById(id);
const ui = {
  state: el("job-state"),
  bar: el("job-progress"),
  files: el("job-files"),
  bytes: el("job-bytes"),
  rate: el("job-rate"),
  eta: el("job-eta"),
  error: el("job-error"),
  failures: el("job-failures"),
  result: el("job-result"),
  log: el("job-log"),
  cancel: el("job-cancel"),
  resume: el("job-resume"),
  action: el("job-action-status"),
  step: el("job-step"),
};
const isProcess = section.dataset.kind === "process";
let sawUnfinished = section.dataset.finishedOnLoad !== "true";
let timer = null;

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function listItem(text, className) {
  const li = document.createElement("li");
  li.textContent = text;
  if (className) li.className = className;
  return li;
}

function show(job) {
  const p = job.progress || {};
  section.dataset.state = job.state;
  ui.state.textContent = job.cancelRequested && !FINISHED.has(job.state) ? `${job.state} (cancelling…)` : job.state;
  ui.state.className = `status status-${job.state}`;
  const hasFiles = typeof p.filesTotal === "number";
  const hasBytes = typeof p.bytesTotal === "number" && p.bytesTotal > 0;
  let percent = 0;
  if (hasBytes) percent = (100 * (p.bytesDone || 0)) / p.bytesTotal;
  else if (hasFiles && p.filesTotal > 0) percent = (100 * (p.filesDone || 0)) / p.filesTotal;
  if (job.state === "completed") percent = 100;
  ui.bar.value = Math.min(100, Math.round(percent));
  ui.bar.setAttribute("aria-valuetext", `${Math.round(percent)} %`);
  if (isProcess) {
    showProcess(job, p);
    return;
  }
  ui.files.textContent = hasFiles ? `${p.filesDone || 0} of ${p.filesTotal}` : "—";
  ui.bytes.textContent = hasBytes ? `${formatBytes(p.bytesDone || 0)} of ${formatBytes(p.bytesTotal)}` : "—";
  ui.rate.textContent = FINISHED.has(job.state) || !p.rate ? "—" : `${formatBytes(Math.round(p.rate))}/s`;
  ui.eta.textContent = FINISHED.has(job.state) ? "—" : duration(p.eta);

  ui.error.hidden = !job.error;
  ui.error.textContent = job.error || "";

  const failed = (p.files || []).filter((f) => f.state === "failed" || f.error);
  ui.failures.replaceChildren(
    ...(failed.length
      ? failed.map((f) => listItem(`${f.name}: ${f.error || "failed"}`, "failed"))
      : [listItem("None.", "muted")]),
  );

  const result = job.result || {};
  if (FINISHED.has(job.state) && Object.keys(result).length) {
    const imported = Array.isArray(result.imported) ? result.imported.length : result.imported;
    const parts = [];
    if (imported !== undefined) parts.push(`${imported} file${imported === 1 ? "" : "s"} imported`);
    if (Array.isArray(result.failed)) parts.push(`${result.failed.length} failed`);
    if (typeof result.bytes === "number") parts.push(formatBytes(result.bytes));
    const para = document.createElement("p");
    para.textContent = parts.length ? `${parts.join(", ")}. ` : "Finished. ";
    const link = document.createElement("a");
    link.href = "/library";
    link.textContent = "Open the library";
    para.append(link);
    ui.result.replaceChildren(para);
  } else if (!FINISHED.has(job.state)) {
    const para = document.createElement("p");
    para.className = "muted";
    para.textContent = "Not finished yet.";
    ui.result.replaceChildren(para);
  }

  ui.log.textContent = (job.logTail || []).join("\n");
  ui.cancel.hidden = FINISHED.has(job.state) || Boolean(job.cancelRequested);
  ui.resume.hidden = !RESUMABLE.has(job.state);
}

function showProcess(job, p) {
  // A processing job reports `done` as a fraction and `message` as its current step.
  if (typeof p.done === "number" && job.state !== "completed") {
    ui.bar.value = Math.min(100, Math.round(100 * p.done));
    ui.bar.setAttribute("aria-valuetext", `${ui.bar.value} %`);
  }
  ui.step.textContent = FINISHED.has(job.state) ? "" : p.message || "";
  ui.error.hidden = !job.error;
  ui.error.textContent = job.error || "";
  ui.log.textContent = (job.logTail || []).join("\n");
  ui.cancel.hidden = FINISHED.has(job.state) || Boolean(job.cancelRequested);
  ui.resume.hidden = !RESUMABLE.has(job.state);
  if (!FINISHED.has(job.state)) sawUnfinished = true;
  else if (sawUnfinished) window.location.reload();
}

async function poll() {
  timer = null;
  try {
    const response = await fetch(`/api/jobs/${jobId}`, { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) {
      ui.action.textContent = `Could not read the job: ${await errorMessage(response)}`;
    } else {
      const job = await response.json();
      show(job);
      if (FINISHED.has(job.state)) return;
    }
  } catch (exc) {
    ui.action.textContent = `Could not read the job: ${exc.message}. Retrying…`;
  }
  timer = setTimeout(poll, POLL_MS);
}

async function act(verb, label) {
  ui.action.textContent = `${label}…`;
  const response = await fetch(`/api/jobs/${jobId}/${verb}`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRF-Token": csrfToken() },
  });
  if (!response.ok) {
    ui.action.textContent = `${label} failed: ${await errorMessage(response)}`;
    return;
  }
  show(await response.json());
  ui.action.textContent = verb === "cancel" ? "Cancel requested." : "Job queued again.";
  if (timer === null) timer = setTimeout(poll, POLL_MS);
}

ui.cancel.addEventListener("click", () => act("cancel", "Cancelling"));
ui.resume.addEventListener("click", () => act("resume", "Resuming"));
poll();
