// The console shell: hash routes to pages, the token form, and one place that shows errors.

import { onError, setToken, token } from "./api.js";
import { h } from "./dom.js";
import * as ask from "./pages/ask.js";
import * as collections from "./pages/collections.js";
import * as documents from "./pages/documents.js";
import * as search from "./pages/search.js";
import * as status from "./pages/status.js";
import * as upload from "./pages/upload.js";

const pages = { ask, search, collections, documents, upload, status };
const main = document.getElementById("main");
const notice = document.getElementById("notice");
const form = document.getElementById("token-form");
const input = document.getElementById("token-input");
let cleanup = null;

function showNotice(text, kind = "error") {
  notice.className = `notice ${kind}`;
  notice.replaceChildren(text);
  notice.hidden = !text;
}

const toggle = document.getElementById("token-toggle");
const labelToggle = () => {
  toggle.textContent = token() ? "Change token" : "Token";
};

function showTokenForm(open) {
  form.hidden = !open;
  if (open) input.focus();
}

onError((err) => {
  if (err.status === 401) {
    showNotice(err.describe());
    showTokenForm(true);
  } else if (err.status === 403) {
    showNotice(err.describe());
  }
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  setToken(input.value.trim());
  input.value = "";
  showTokenForm(false);
  labelToggle();
  showNotice("Token saved for this tab.", "ok");
  route();
});
document.getElementById("token-forget").addEventListener("click", () => {
  setToken("");
  labelToggle();
  showNotice("Token forgotten.", "ok");
  showTokenForm(false);
});
toggle.addEventListener("click", () => showTokenForm(form.hidden));

let generation = 0;

async function route() {
  const hash = location.hash || "#/ask";
  if (!hash.startsWith("#/")) return; // an in-page anchor such as the skip link
  const [name, ...rest] = hash.slice(2).split("/");
  const page = pages[name] || ask;
  const mine = ++generation;
  if (cleanup) cleanup();
  cleanup = null;
  for (const a of document.querySelectorAll("nav a")) {
    if (a.getAttribute("href") === `#/${name}`) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  main.replaceChildren(h("p", {}, "Loading…"));
  document.title = `${page.title} · ragmono console`;
  // Each page renders into its own element, shown only if no newer route started meanwhile
  // (a slow page must not paint over the one the user has moved on to).
  const view = h("div", { class: "view" });
  let stop = null;
  try {
    stop = (await page.render(view, rest.map(decodeURIComponent))) || null;
  } catch (err) {
    view.replaceChildren(
      h("h1", {}, page.title),
      h("p", { class: "status error", role: "alert" }, err.describe ? err.describe() : String(err)),
    );
  }
  if (mine !== generation) {
    if (stop) stop();
    return;
  }
  cleanup = stop;
  main.replaceChildren(view);
  view.querySelector("[autofocus]")?.focus();
}

labelToggle();
window.addEventListener("hashchange", () => {
  showNotice("");
  route();
});
route();
