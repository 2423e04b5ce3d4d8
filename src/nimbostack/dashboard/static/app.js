// The dashboard's scripts: one live stream per tab, fragments loaded on demand,
// confirmations, and image uploads with progress. No inline script anywhere: the
// Content-Security-Policy forbids it.
import { wireInPlace } from "./inplace.js";
import { openStream } from "./stream.js";
import { wireUpload } from "./upload.js";

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";

async function load(el) {
  const resp = await fetch(el.dataset.load, { credentials: "same-origin" });
  if (resp.redirected && new URL(resp.url).pathname === "/auth/login") {
    location.assign(resp.url);
    return;
  }
  el.innerHTML = await resp.text(); // server-rendered and escaped
}

function wire() {
  for (const el of document.querySelectorAll("[data-load]")) {
    if (el.closest("details")) {
      el.closest("details").addEventListener("toggle", () => load(el), { once: true });
    } else {
      load(el);
    }
  }
  for (const button of document.querySelectorAll("[data-log-refresh]")) {
    button.addEventListener("click", () => load(document.getElementById(button.dataset.logRefresh)));
  }
  document.addEventListener("submit", (event) => {
    const message = event.target.dataset?.confirm;
    if (message && !confirm(message)) event.preventDefault();
  }, { capture: true });
  wireInPlace(csrf);
  for (const select of document.querySelectorAll("[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  for (const link of document.querySelectorAll("[data-back]")) {
    link.addEventListener("click", (event) => {
      if (history.length > 1) { event.preventDefault(); history.back(); }
    });
  }
  const form = document.querySelector("form[data-upload]");
  if (form) wireUpload(form, csrf);
  if (document.body.dataset.stream) openStream(document.body.dataset.stream);
}

wire();
