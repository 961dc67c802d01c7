// Small DOM helpers: elements built with text nodes only (no innerHTML), and formatters.

import { api } from "./api.js";

/** ``h("button", {class: "x", onclick: fn}, "text", child)``; null children are skipped. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** ``replaceChildren`` that skips null and false (optional parts of a section). */
export const fill = (el, ...children) => {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
};

export const clear = (el) => {
  el.replaceChildren();
  return el;
};

export function fmtBytes(n) {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

export const fmtTime = (epoch) => (epoch ? new Date(epoch * 1000).toLocaleString() : "–");
export const fmtMs = (ms) => `${Math.round(ms * 10) / 10} ms`;

export function fmtEta(seconds) {
  if (seconds === null || seconds === undefined) return "";
  if (seconds < 60) return `${Math.ceil(seconds)} s left`;
  return `${Math.floor(seconds / 60)} min ${Math.ceil(seconds % 60)} s left`;
}

/** A status line (role=status) whose text can be replaced; ``show(err)`` for errors. */
export function statusLine() {
  const el = h("p", { class: "status", role: "status" });
  el.show = (what, kind = "") => {
    el.className = `status ${kind}`;
    el.textContent = what && what.describe ? what.describe() : (what?.message ?? what ?? "");
    if (what && what.describe) el.className = "status error";
  };
  return el;
}

const LAST = "ragmono.collection";

/** A labelled <select> of the collections; remembers the choice across pages. */
export async function collectionPicker(id, onchange) {
  const select = h("select", { id, name: "collection", required: true });
  const wrap = h("div", { class: "field" }, h("label", { for: id }, "Collection"), select);
  const data = await api("GET", "api/v1/collections");
  const names = data.items.map((c) => c.name);
  if (!names.length) {
    select.append(h("option", { value: "" }, "no collections yet"));
    select.disabled = true;
  }
  for (const name of names) select.append(h("option", { value: name }, name));
  const last = localStorage.getItem(LAST);
  if (last && names.includes(last)) select.value = last;
  select.addEventListener("change", () => {
    localStorage.setItem(LAST, select.value);
    if (onchange) onchange(select.value);
  });
  wrap.select = select;
  return wrap;
}

/** A labelled form control: ``field("Top k", h("input", {...}))`` (the input needs an id). */
export const field = (label, control, hint) =>
  h(
    "div",
    { class: "field" },
    h("label", { for: control.id }, label),
    control,
    hint ? h("small", { class: "hint" }, hint) : null,
  );
