// Collections: list with stats, create one, delete one (after naming it in a confirmation).

import { api } from "../api.js";
import { clear, field, fmtBytes, fmtTime, h, statusLine } from "../dom.js";
import { hasAdmin } from "../scopes.js";

export const title = "Collections";

function row(c, admin, onDelete) {
  const stats = c.stats || {};
  return h(
    "tr",
    { dataset: { collection: c.name } },
    h("th", { scope: "row" }, h("a", { href: `#/documents/${encodeURIComponent(c.name)}` }, c.name)),
    h("td", {}, c.description || "–"),
    h("td", { class: "num" }, stats.points ?? "–"),
    h("td", { class: "num" }, fmtBytes(stats.size_bytes)),
    h("td", {}, `${c.embedder.provider}/${c.embedder.model} (${c.embedder.dimensions})`),
    h("td", {}, `${c.chunking.chunk_size} / ${c.chunking.chunk_overlap}`),
    h("td", {}, fmtTime(c.created_at)),
    h(
      "td",
      {},
      h(
        "button",
        {
          type: "button",
          class: "danger",
          disabled: !admin,
          title: admin ? `Delete ${c.name}` : "Deleting needs the admin scope",
          onclick: () => onDelete(c.name),
        },
        "Delete",
      ),
    ),
  );
}

export async function render(main) {
  const state = statusLine();
  const table = h("tbody");
  const admin = await hasAdmin();

  async function load() {
    const data = await api("GET", "api/v1/collections");
    table.replaceChildren(
      ...(data.items.length
        ? data.items.map((c) => row(c, admin, remove))
        : [h("tr", {}, h("td", { colspan: 8 }, "No collections yet: create one below."))]),
    );
  }

  async function remove(name) {
    if (!confirm(`Delete the collection "${name}" and every document in it? This cannot be undone.`)) return;
    try {
      await api("DELETE", `api/v1/collections/${encodeURIComponent(name)}`);
      state.show(`Deleted ${name}.`, "ok");
      await load();
    } catch (err) {
      state.show(err);
    }
  }

  const name = h("input", { id: "new-name", required: true, pattern: "[a-z0-9][a-z0-9_\\-]{0,62}", maxlength: 63, autocomplete: "off" });
  const description = h("input", { id: "new-description", maxlength: 1000 });
  const size = h("input", { id: "new-chunk-size", type: "number", min: 32, max: 8192, placeholder: "server default" });
  const overlap = h("input", { id: "new-chunk-overlap", type: "number", min: 0, max: 4096, placeholder: "server default" });
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "create-heading" },
    h("h2", { id: "create-heading" }, "Create a collection"),
    h(
      "div",
      { class: "row" },
      field("Name", name, "lower-case letters, digits, - and _"),
      field("Description", description),
    ),
    h(
      "div",
      { class: "row" },
      field("Chunk size (tokens)", size, "keep within the embedder's window: all-MiniLM-L6-v2 reads 256 word pieces"),
      field("Chunk overlap (tokens)", overlap, "smaller than the chunk size"),
    ),
    h("button", { type: "submit" }, "Create"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chunking = {};
    if (size.value) chunking.chunk_size = Number(size.value);
    if (overlap.value) chunking.chunk_overlap = Number(overlap.value);
    const body = { name: name.value.trim(), description: description.value };
    if (Object.keys(chunking).length) body.chunking = chunking;
    try {
      await api("POST", "api/v1/collections", { json: body });
      state.show(`Created ${body.name}.`, "ok");
      localStorage.setItem("ragmono.collection", body.name);
      form.reset();
      await load();
    } catch (err) {
      state.show(err);
    }
  });

  clear(main).append(
    h("h1", {}, "Collections"),
    state,
    h(
      "div",
      { class: "scroll" },
      h(
        "table",
        {},
        h("thead", {}, h("tr", {}, ["Name", "Description", "Points", "Size", "Embedder", "Chunk size / overlap", "Created", ""].map((t) => h("th", { scope: "col" }, t)))),
        table,
      ),
    ),
    form,
  );
  await load();
}
