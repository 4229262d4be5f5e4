// Every page: library search form behaviour, focus restoration, confirmation dialogs.

const FOCUS_KEY = "jwstdata:focus";
const DEFAULTS = { scope: "all", view: "table", sort: "uploadDate", order: "desc", limit: "50" };

function controlKey(element) {
  if (element.id) return `#${CSS.escape(element.id)}`;
  if (element.name) return `[name="${CSS.escape(element.name)}"][value="${CSS.escape(element.value)}"]`;
  return null;
}

// Submit the search as a clean URL: no empty fields and no defaults, so it reads well
// when bookmarked or shared (the server applies the same defaults).
function submitSearch(form) {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(form)) {
    const text = String(value).trim();
    if (!text || DEFAULTS[name] === text) continue;
    params.append(name, text);
  }
  const loading = document.getElementById("results-loading");
  if (loading) loading.hidden = false;
  const results = document.querySelector(".results");
  if (results) results.setAttribute("aria-busy", "true");
  const query = params.toString();
  window.location.assign(form.action.split("?")[0] + (query ? `?${query}` : ""));
}

function setUpSearchForm() {
  const form = document.querySelector("form[data-autosubmit]");
  if (!form) return;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitSearch(form);
  });
  document.addEventListener("change", (event) => {
    const control = event.target;
    if (!(control instanceof HTMLInputElement || control instanceof HTMLSelectElement)) return;
    if (control.form !== form) return;
    if (control.type === "text" || control.type === "search") return; // Enter submits those
    const key = controlKey(control);
    if (key) sessionStorage.setItem(FOCUS_KEY, key);
    submitSearch(form);
  });
  const key = sessionStorage.getItem(FOCUS_KEY);
  if (key) {
    sessionStorage.removeItem(FOCUS_KEY);
    const element = document.querySelector(key);
    if (element) element.focus({ preventScroll: false });
  }
}

function setUpDialogs() {
  for (const trigger of document.querySelectorAll("[data-delete-dialog]")) {
    const dialog = document.getElementById(trigger.dataset.deleteDialog);
    if (!dialog || typeof dialog.showModal !== "function") continue; // the link's page remains
    trigger.addEventListener("click", (event) => {
      event.preventDefault();
      dialog.showModal();
      const cancel = dialog.querySelector("[data-close-dialog]");
      if (cancel) cancel.focus();
    });
    for (const close of dialog.querySelectorAll("[data-close-dialog]")) {
      close.addEventListener("click", () => dialog.close());
    }
  }
}

setUpSearchForm();
setUpDialogs();
