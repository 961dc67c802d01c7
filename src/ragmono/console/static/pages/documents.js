// Documents: a collection's documents a page at a time, filtered by source; open one or delete it.

import { api } from "../api.js";
import { clear, collectionPicker, field, fmtTime, h, statusLine } from "../dom.js";

export const title = "Documents";
const PAGE = 20;

function chunkView(chunk) {
  const meta = chunk.metadata || {};
  const where = [`chunk ${chunk.index}`, meta.section ? `section: ${meta.section}` : null, meta.page ? `page ${meta.page}` : null];
  return h("li", { class: "chunk" }, h("p", { class: "meta" }, where.filter(Boolean).join(" · ")), h("blockquote", {}, chunk.text));
}

export async function render(main, [wanted]) {
  if (wanted) localStorage.setItem("ragmono.collection", wanted);
  const state = statusLine();
  const picker = await collectionPicker("docs-collection", () => restart());
  const source = h("input", { id: "docs-source", type: "search", placeholder: "exact source, e.g. guide.md" });
  const body = h("tbody");
  const detail = h("section", { class: "card", "aria-label": "Document", hidden: true });
  const prev = h("button", { type: "button", class: "secondary", disabled: true }, "Previous");
  const next = h("button", { type: "button", class: "secondary", disabled: true }, "Next");
  const where = h("span", { class: "meta" });
  const cursors = [null];
  let index = 0;

  const collection = () => picker.select.value;

  async function open(id) {
    try {
      const doc = await api("GET", `api/v1/collections/${encodeURIComponent(collection())}/documents/${encodeURIComponent(id)}`);
      detail.hidden = false;
      detail.replaceChildren(
        h("h2", {}, doc.document.source || doc.document.id),
        h("p", { class: "meta" }, `id ${doc.document.id} · ${doc.document.chunks} chunks · ${doc.document.status} · updated ${fmtTime(doc.document.updated)}`),
        h("ol", { class: "chunks" }, doc.items.map(chunkView)),
      );
      detail.scrollIntoView({ block: "start" });
    } catch (err) {
      state.show(err);
    }
  }

  async function remove(doc) {
    if (!confirm(`Delete the document "${doc.source || doc.id}" and its ${doc.chunks} chunks from ${collection()}?`)) return;
    try {
      await api("DELETE", `api/v1/collections/${encodeURIComponent(collection())}/documents/${encodeURIComponent(doc.id)}`);
      state.show(`Deleted ${doc.source || doc.id}.`, "ok");
      detail.hidden = true;
      await load();
    } catch (err) {
      state.show(err);
    }
  }

  async function load() {
    if (!collection()) return;
    const params = new URLSearchParams({ limit: PAGE });
    if (source.value.trim()) params.set("source", source.value.trim());
    if (cursors[index]) params.set("cursor", cursors[index]);
    const page = await api("GET", `api/v1/collections/${encodeURIComponent(collection())}/documents?${params}`);
    cursors[index + 1] = page.next_cursor;
    prev.disabled = index === 0;
    next.disabled = !page.next_cursor;
    where.textContent = `page ${index + 1}`;
    body.replaceChildren(
      ...(page.items.length
        ? page.items.map((d) =>
            h(
              "tr",
              {},
              h("th", { scope: "row" }, h("button", { type: "button", class: "linklike", onclick: () => open(d.id) }, d.source || d.id)),
              h("td", {}, d.id),
              h("td", { class: "num" }, d.chunks),
              h("td", {}, d.status),
              h("td", {}, fmtTime(d.updated)),
              h("td", {}, h("button", { type: "button", class: "danger", onclick: () => remove(d) }, "Delete")),
            ),
          )
        : [h("tr", {}, h("td", { colspan: 6 }, "No documents."))]),
    );
  }

  function restart() {
    cursors.length = 1;
    index = 0;
    detail.hidden = true;
    load().catch((err) => state.show(err));
  }

  prev.addEventListener("click", () => {
    index -= 1;
    load().catch((err) => state.show(err));
  });
  next.addEventListener("click", () => {
    index += 1;
    load().catch((err) => state.show(err));
  });
  const filter = h("form", { class: "row", role: "search" }, picker, field("Source", source), h("button", { type: "submit" }, "Filter"));
  filter.addEventListener("submit", (event) => {
    event.preventDefault();
    restart();
  });

  clear(main).append(
    h("h1", {}, "Documents"),
    filter,
    state,
    h(
      "div",
      { class: "scroll" },
      h("table", {}, h("thead", {}, h("tr", {}, ["Source", "Id", "Chunks", "Status", "Updated", ""].map((t) => h("th", { scope: "col" }, t)))), body),
    ),
    h("div", { class: "row pager" }, prev, where, next),
    detail,
  );
  await load();
}
