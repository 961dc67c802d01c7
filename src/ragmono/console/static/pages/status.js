// Status: readiness per dependency, breakers (reset with admin), jobs, backups (admin).

import { api } from "../api.js";
import { clear, fill, fmtBytes, fmtTime, h, statusLine } from "../dom.js";
import { hasAdmin } from "../scopes.js";

export const title = "Status";

const table = (heads, rows) =>
  h("div", { class: "scroll" }, h("table", {}, h("thead", {}, h("tr", {}, heads.map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows)));

export async function render(main) {
  const state = statusLine();
  const admin = await hasAdmin();
  const ready = h("section", { "aria-labelledby": "ready-h" });
  const breakers = h("section", { "aria-labelledby": "breakers-h" });
  const jobs = h("section", { "aria-labelledby": "jobs-h" });
  const backups = h("section", { "aria-labelledby": "backups-h" });
  const adminNote = admin ? null : h("p", { class: "hint" }, "Resetting breakers and backups need the admin scope.");

  async function act(what, call) {
    try {
      await call();
      state.show(what, "ok");
      await load();
    } catch (err) {
      state.show(err);
    }
  }

  async function load() {
    const r = await api("GET", "ready", { ok: [503] });
    fill(ready, 
      h("h2", { id: "ready-h" }, r.ready ? "Ready" : "Not ready"),
      table(["Dependency", "Mode", "Reachable", "Latency", "Detail"], r.dependencies.map((d) =>
        h("tr", { class: d.reachable ? "" : "bad" }, h("th", { scope: "row" }, d.name), h("td", {}, d.mode), h("td", {}, d.reachable ? "yes" : d.required ? "no" : "no (optional)"), h("td", {}, d.latency_ms === null ? "–" : `${Math.round(d.latency_ms)} ms`), h("td", {}, d.detail)))),
    );
    fill(breakers, 
      h("h2", { id: "breakers-h" }, "Circuit breakers"),
      adminNote,
      r.breakers.length ? null : h("p", {}, "No circuit breakers: no configured dependency is called through one."),
      table(["Breaker", "State", "Failures", "Retry after", ""], r.breakers.map((b) =>
        h("tr", { class: b.state === "closed" ? "" : "bad" }, h("th", { scope: "row" }, b.name), h("td", {}, b.state), h("td", { class: "num" }, b.failures), h("td", {}, b.retry_after_s ? `${Math.ceil(b.retry_after_s)} s` : "–"),
          h("td", {}, h("button", { type: "button", class: "secondary", disabled: !admin || b.state === "closed", onclick: () => act(`Reset ${b.name}.`, () => api("POST", `api/v1/admin/breakers/${encodeURIComponent(b.name)}/reset`)) }, "Reset"))))),
    );
    try {
      const j = await api("GET", "api/v1/jobs?limit=20", { quiet: true });
      fill(jobs, 
        h("h2", { id: "jobs-h" }, "Jobs"),
        j.items.length ? table(["Job", "Kind", "Collection", "State", "Progress", "Errors", "Created"], j.items.map((x) =>
          h("tr", { class: x.state === "failed" ? "bad" : "" }, h("th", { scope: "row" }, x.id), h("td", {}, x.kind), h("td", {}, x.collection), h("td", {}, x.state), h("td", {}, `${x.progress.percent}%`), h("td", {}, x.errors.map((e) => `${e.document}: ${e.detail}`).join("; ") || "–"), h("td", {}, fmtTime(x.created_at))))) : h("p", {}, "No jobs yet."),
      );
    } catch (err) {
      fill(jobs, h("h2", { id: "jobs-h" }, "Jobs"), h("p", { class: "hint" }, err.describe()));
    }
    if (!admin) {
      fill(backups, h("h2", { id: "backups-h" }, "Backups"), h("p", { class: "hint" }, "Listing backups needs the admin scope."));
      return;
    }
    try {
      const b = await api("GET", "api/v1/admin/backups");
      fill(backups, 
        h("h2", { id: "backups-h" }, "Backups"),
        h("button", { type: "button", onclick: () => act("Backup started.", () => api("POST", "api/v1/admin/backups")) }, "Create backup"),
        b.items.length ? table(["Backup", "State", "Created", "Size", "Collections", ""], b.items.map((x) =>
          h("tr", {}, h("th", { scope: "row" }, x.id), h("td", {}, x.error ? `${x.state}: ${x.error}` : x.state), h("td", {}, fmtTime(x.manifest?.created_at)), h("td", {}, fmtBytes(x.manifest?.size_bytes)), h("td", {}, (x.manifest?.collections || []).map((c) => c.name).join(", ")),
            h("td", {}, x.state === "completed" ? h("button", { type: "button", class: "danger", onclick: () => confirm(`Restore backup ${x.id}? The current data is replaced by the backup's.`) && act(`Restored ${x.id}.`, () => api("POST", `api/v1/admin/backups/${encodeURIComponent(x.id)}/restore`)) }, "Restore") : null)))) : h("p", {}, "No backups yet."),
      );
    } catch (err) {
      fill(backups, h("h2", { id: "backups-h" }, "Backups"), h("p", { class: "hint" }, err.describe()));
    }
  }

  const refresh = h("button", { type: "button", class: "secondary", onclick: () => load().catch((err) => state.show(err)) }, "Refresh");
  clear(main).append(h("h1", {}, "Status"), refresh, state, ready, breakers, jobs, backups);
  await load();
}
