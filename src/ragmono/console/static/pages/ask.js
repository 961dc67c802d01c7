// Ask: a question about one collection; the answer streams in and cites passages as [n].

import { events } from "../api.js";
import { clear, collectionPicker, field, fmtMs, h, statusLine } from "../dom.js";

export const title = "Ask";
const CITE = /\[(\d+)\]/g;

/** The answer text with every [n] made a button that shows passage n. */
function answerNodes(text, onCite) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(CITE)) {
    nodes.push(text.slice(last, match.index));
    const n = Number(match[1]);
    nodes.push(
      h("button", { type: "button", class: "cite", dataset: { n }, onclick: () => onCite(n) }, `[${n}]`),
    );
    last = match.index + match[0].length;
  }
  nodes.push(text.slice(last));
  return nodes;
}

function passageView(source) {
  const where = [
    source.section ? `section: ${source.section}` : null,
    source.page ? `page ${source.page}` : null,
    `chunk ${source.chunk_index}`,
    `score ${source.score.toFixed(4)}`,
  ].filter(Boolean);
  return [
    h("h3", {}, `[${source.n}] ${source.source || source.document_id}`),
    h("p", { class: "meta" }, where.join(" · ")),
    h("blockquote", { class: "passage-text" }, source.text),
  ];
}

function turn(question) {
  const answer = h("div", { class: "answer", "aria-live": "polite" });
  const passage = h("section", { class: "passage", "aria-label": "Cited passage", hidden: true });
  const sources = h("ol", { class: "sources" });
  const foot = h("p", { class: "meta" });
  const flag = h("p", { class: "degraded", role: "status", hidden: true });
  const state = statusLine();
  const el = h("article", { class: "turn" }, h("p", { class: "question" }, question), answer, flag, state, passage, sources, foot);
  let text = "";
  let found = [];
  const show = (n) => {
    const source = found.find((s) => s.n === n);
    passage.hidden = false;
    passage.replaceChildren(...(source ? passageView(source) : [h("p", {}, `Passage [${n}] has not arrived yet.`)]));
  };
  return {
    el,
    state,
    append(piece) {
      text += piece;
      answer.replaceChildren(...answerNodes(text.trimEnd(), show));
    },
    sources(list, cited) {
      found = list;
      answer.replaceChildren(...answerNodes(text.trimEnd(), show));
      sources.replaceChildren(
        ...list.map((s) =>
          h(
            "li",
            { value: s.n, class: cited.includes(s.n) ? "cited" : "" },
            h("button", { type: "button", class: "linklike", onclick: () => show(s.n) }, s.source || s.document_id),
            ` · chunk ${s.chunk_index}${s.page ? ` · page ${s.page}` : ""}${s.section ? ` · ${s.section}` : ""}`,
          ),
        ),
      );
    },
    done(info) {
      const t = info.timings;
      foot.textContent = [
        `${info.generator}${info.model ? ` (${info.model})` : ""}`,
        `mode ${info.mode}`,
        info.cached ? "cached" : null,
        `embed ${fmtMs(t.embed_ms)} · search ${fmtMs(t.search_ms)} · generate ${fmtMs(t.generate_ms)} · total ${fmtMs(t.total_ms)}`,
      ].filter(Boolean).join(" · ");
      if (info.degraded) {
        flag.hidden = false;
        flag.textContent = `Degraded answer: ${info.degraded_reason || "unknown reason"}`;
      }
      if (!text.trim()) answer.textContent = "Nothing relevant was found in this collection.";
    },
  };
}

export async function render(main) {
  const picker = await collectionPicker("ask-collection");
  const question = h("textarea", { id: "ask-question", rows: 3, required: true, autofocus: true, maxlength: 2000, placeholder: "What would you like to know?" });
  const mode = h("select", { id: "ask-mode" }, ["hybrid", "dense", "keyword"].map((m) => h("option", { value: m }, m)));
  const topK = h("input", { id: "ask-topk", type: "number", min: 1, max: 20, value: 5 });
  const button = h("button", { type: "submit" }, "Ask");
  const transcript = h("div", { class: "transcript" });
  let controller = null;

  const form = h(
    "form",
    { class: "ask", "aria-label": "Ask a question" },
    h("div", { class: "row" }, picker, field("Mode", mode), field("Passages (top k)", topK)),
    field("Question", question),
    h("div", { class: "row" }, button),
  );
  question.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = question.value.trim();
    if (!text || !picker.select.value) return;
    const t = turn(text);
    transcript.prepend(t.el);
    t.state.show("Thinking…");
    button.disabled = true;
    controller = new AbortController();
    try {
      const body = { query: text, collection: picker.select.value, mode: mode.value, top_k: Number(topK.value), stream: true };
      for await (const { event: name, data } of events("api/v1/query", body, controller.signal)) {
        if (name === "token") t.append(data.text);
        else if (name === "sources") t.sources(data.sources, data.citations);
        else if (name === "done") t.done(data);
        else if (name === "error") throw new Error(data.detail);
      }
      t.state.show("");
    } catch (err) {
      if (err.name !== "AbortError") t.state.show(err, "error");
    } finally {
      button.disabled = false;
    }
  });
  clear(main).append(h("h1", {}, "Ask"), form, transcript);
  return () => controller?.abort();
}
