// Search: ranked chunks with scores and the query's words highlighted; filters as a form.

import { api } from "../api.js";
import { clear, collectionPicker, field, fmtMs, h, statusLine } from "../dom.js";

export const title = "Search";
const OPS = ["match", "any", "gte", "lte"];
const STOP = new Set("the and for are but not you all any can had her was one our out has how its may who did does what when where which why with this that from they them then than into".split(" "));

/** Text nodes with every query word (3+ letters) wrapped in <mark>. */
function highlight(text, query) {
  const words = [...new Set(query.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) || [])].filter((w) => !STOP.has(w));
  if (!words.length) return [text];
  const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const pattern = new RegExp(`(${escaped.join("|")})`, "giu");
  return text.split(pattern).map((part, i) => (i % 2 ? h("mark", {}, part) : part));
}

function value(raw) {
  const text = raw.trim();
  if (text === "true" || text === "false") return text === "true";
  return /^-?\d+$/.test(text) ? Number(text) : text;
}

function conditionRow(index, onRemove) {
  const key = h("input", { id: `filter-key-${index}`, placeholder: "source or metadata.year", required: true });
  const op = h("select", { id: `filter-op-${index}` }, OPS.map((o) => h("option", { value: o }, o)));
  const val = h("input", { id: `filter-value-${index}`, placeholder: "value (any: a, b, c)", required: true });
  const row = h("div", { class: "row condition" }, field("Key", key), field("Operator", op), field("Value", val), h("button", { type: "button", class: "secondary", onclick: () => onRemove(row) }, "Remove"));
  row.condition = () => {
    const c = { key: key.value.trim() };
    if (op.value === "match") c.match = value(val.value);
    else if (op.value === "any") c.any = val.value.split(",").map(value);
    else c.range = { [op.value]: /^-?\d+(\.\d+)?$/.test(val.value.trim()) ? Number(val.value) : val.value.trim() };
    return c;
  };
  return row;
}

export async function render(main) {
  const state = statusLine();
  const picker = await collectionPicker("search-collection");
  const query = h("input", { id: "search-query", type: "search", required: true, maxlength: 2000 });
  const mode = h("select", { id: "search-mode" }, ["hybrid", "dense", "keyword"].map((m) => h("option", { value: m }, m)));
  const topK = h("input", { id: "search-topk", type: "number", min: 1, max: 100, value: 10 });
  const threshold = h("input", { id: "search-threshold", type: "number", step: "any", placeholder: "none" });
  const conditions = h("div", { class: "conditions" });
  let counter = 0;
  const add = h("button", { type: "button", class: "secondary" }, "Add filter condition");
  add.addEventListener("click", () => conditions.append(conditionRow(counter++, (row) => row.remove())));
  const results = h("ol", { class: "hits" });
  const form = h(
    "form",
    { class: "card", role: "search" },
    h("div", { class: "row" }, picker, field("Query", query), field("Mode", mode), field("Top k", topK), field("Score threshold", threshold)),
    h("fieldset", {}, h("legend", {}, "Filter (every condition must hold)"), conditions, add),
    h("button", { type: "submit" }, "Search"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { query: query.value.trim(), collection: picker.select.value, mode: mode.value, top_k: Number(topK.value) };
    if (threshold.value) body.score_threshold = Number(threshold.value);
    const must = [...conditions.children].map((row) => row.condition());
    if (must.length) body.filter = { must };
    try {
      const out = await api("POST", "api/v1/search", { json: body });
      const t = out.timings;
      const flag = out.degraded ? ` · degraded: ${out.degraded_reason}` : "";
      state.show(`${out.results.length} results · mode ${out.mode}${out.cached ? " · cached" : ""} · embed ${fmtMs(t.embed_ms)} · search ${fmtMs(t.search_ms)} · total ${fmtMs(t.total_ms)}${flag}`, out.degraded ? "error" : "ok");
      results.replaceChildren(
        ...out.results.map((r) => {
          const meta = r.metadata || {};
          const where = [`score ${r.score.toFixed(4)}`, `chunk ${r.chunk_index}`, meta.section ? `section: ${meta.section}` : null, meta.page ? `page ${meta.page}` : null];
          return h("li", { class: "hit" }, h("h3", {}, r.source || r.document_id), h("p", { class: "meta" }, where.filter(Boolean).join(" · ")), h("blockquote", {}, highlight(r.text, body.query)));
        }),
      );
    } catch (err) {
      state.show(err);
    }
  });
  clear(main).append(h("h1", {}, "Search"), form, state, results);
}
