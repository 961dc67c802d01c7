// Upload: drop or pick files, see what became of each; large uploads become jobs with progress.

import { api } from "../api.js";
import { clear, collectionPicker, field, fmtEta, h, statusLine } from "../dom.js";

export const title = "Upload";
const TYPES = [".txt", ".text", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"];
const POLL_MS = 400;

function resultsTable(results) {
  return h(
    "table",
    { class: "results" },
    h("thead", {}, h("tr", {}, ["File", "Result", "Chunks", "Detail"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      results.map((r) =>
        h("tr", { class: r.status }, h("th", { scope: "row" }, r.file || r.source || r.id), h("td", {}, r.status), h("td", { class: "num" }, r.chunks ?? 0), h("td", {}, r.error || "")),
      ),
    ),
  );
}

/** A job's live progress: bar, counts, ETA and a cancel button; resolves when it finishes. */
export function watchJob(jobId, into, stopped) {
  const bar = h("progress", { max: 100, value: 0, "aria-label": "Job progress" });
  const text = h("p", { class: "meta", role: "status" });
  const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
  const errors = h("ul", { class: "errors" });
  const box = h("div", { class: "job", dataset: { job: jobId } }, h("p", {}, `Job ${jobId}`), bar, text, cancel, errors);
  into.append(box);
  cancel.addEventListener("click", async () => {
    cancel.disabled = true;
    await api("POST", `api/v1/jobs/${encodeURIComponent(jobId)}/cancel`).catch(() => {});
  });
  return new Promise((resolve, reject) => {
    const tick = async () => {
      if (stopped()) return resolve(null);
      try {
        const job = await api("GET", `api/v1/jobs/${encodeURIComponent(jobId)}`);
        const p = job.progress;
        bar.value = p.percent;
        const done = ["succeeded", "completed_with_errors", "failed", "cancelled"].includes(job.state);
        const counts = Object.entries(job.counts).filter(([, n]) => n).map(([k, n]) => `${n} ${k}`);
        text.textContent = [
          done ? (job.state === "succeeded" ? "done" : job.state) : job.state,
          `${p.percent}%`,
          `${p.documents_done}/${p.documents_total} documents`,
          `${p.chunks_done}/${p.chunks_total} chunks`,
          fmtEta(job.eta_s),
          counts.join(", "),
          job.detail,
        ].filter(Boolean).join(" · ");
        errors.replaceChildren(...job.errors.map((e) => h("li", {}, `${e.document}: ${e.detail} (${e.status})`)));
        box.dataset.state = job.state;
        if (done) {
          cancel.hidden = true;
          return resolve(job);
        }
        setTimeout(tick, POLL_MS);
      } catch (err) {
        reject(err);
      }
    };
    tick();
  });
}

export async function render(main) {
  let gone = false;
  const state = statusLine();
  const picker = await collectionPicker("upload-collection");
  const input = h("input", { id: "upload-files", type: "file", multiple: true, accept: TYPES.join(",") });
  const chosen = h("ul", { class: "chosen" });
  const out = h("div", { class: "outcome" });
  let files = [];
  const showChosen = () => chosen.replaceChildren(...files.map((f) => h("li", {}, `${f.name} (${Math.ceil(f.size / 1024)} KB)`)));
  const drop = h(
    "div",
    { class: "drop", "aria-describedby": "upload-types" },
    h("label", { for: "upload-files" }, "Drop files here, or choose them"),
    input,
    h("p", { id: "upload-types", class: "hint" }, `Accepted: ${TYPES.join(" ")}; up to 100 files at once.`),
    chosen,
  );
  input.addEventListener("change", () => {
    files = [...input.files];
    showChosen();
  });
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    files = [...files, ...event.dataTransfer.files];
    showChosen();
  });

  async function outcome(result) {
    if (result.job_id) {
      state.show("Accepted as a background job.");
      const job = await watchJob(result.job_id, out, () => gone);
      if (job) state.show(`Job ${job.state === "succeeded" ? "done" : job.state.replaceAll("_", " ")}.`, job.state === "succeeded" ? "ok" : "error");
    } else {
      const failed = result.failed ? `, ${result.failed} failed` : "";
      state.show(`${result.created} created, ${result.updated} updated, ${result.unchanged} unchanged${failed}.`, result.failed ? "error" : "ok");
      out.append(resultsTable(result.results));
    }
  }

  const send = h("button", { type: "submit" }, "Upload");
  const form = h("form", { class: "card", "aria-label": "Upload files" }, picker, drop, send);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!files.length) return state.show("Choose or drop at least one file.", "error");
    const data = new FormData();
    for (const f of files) data.append("files", f, f.name);
    send.disabled = true;
    state.show(`Uploading ${files.length} file(s)…`);
    try {
      await outcome(await api("POST", `api/v1/collections/${encodeURIComponent(picker.select.value)}/documents/upload`, { form: data }));
      files = [];
      input.value = "";
      showChosen();
    } catch (err) {
      state.show(err);
    } finally {
      send.disabled = false;
    }
  });

  const path = h("input", { id: "sync-path", required: true, placeholder: "docs/handbook" });
  const sync = h(
    "form",
    { class: "card", "aria-labelledby": "sync-heading" },
    h("h2", { id: "sync-heading" }, "Sync a server directory"),
    h("p", { class: "hint" }, "Mirrors a directory under the server's ingest.allowed_roots (new, changed and removed files)."),
    field("Directory", path),
    h("button", { type: "submit" }, "Sync"),
  );
  sync.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await outcome(await api("POST", `api/v1/collections/${encodeURIComponent(picker.select.value)}/sync`, { json: { path: path.value } }));
    } catch (err) {
      state.show(err);
    }
  });

  clear(main).append(h("h1", {}, "Upload"), form, state, out, sync);
  return () => {
    gone = true;
  };
}
