// The browser's client of the public /api/v1 routes: auth header, problem+json errors, SSE.

const TOKEN_KEY = "ragmono.token";
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const listeners = new Set();

/** An HTTP error with the fields of its problem+json body. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem.title || "";
    this.field = problem.field || "";
    this.requestId = problem.request_id || "";
  }

  /** A sentence a person can act on. */
  describe() {
    const field = this.field ? ` (field: ${this.field})` : "";
    if (this.status === 401) {
      return `Not authorised (401): this server needs a token. ${this.message}`;
    }
    if (this.status === 403) return `Forbidden (403): ${this.message}`;
    if (this.status === 0) return `Network error: ${this.message}`;
    const id = this.requestId ? ` [request ${this.requestId}]` : "";
    return `${this.title || "Error"} (${this.status}): ${this.message}${field}${id}`;
  }
}

export const token = () => sessionStorage.getItem(TOKEN_KEY) || "";
export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** Call ``fn(error)`` on every failed call (the app shows the token form on a 401). */
export const onError = (fn) => listeners.add(fn);

function authHeaders() {
  const t = token();
  if (!t) return {};
  return JWT_SHAPE.test(t) ? { Authorization: `Bearer ${t}` } : { "X-Service-Token": t };
}

/** An absolute URL for a path relative to the app's public prefix (the page's <base>). */
export const url = (path) => new URL(path.replace(/^\//, ""), document.baseURI).href;

async function send(method, path, { json, form, accept = "application/json", signal } = {}) {
  const headers = { Accept: accept, ...authHeaders() };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  let res;
  try {
    res = await fetch(url(path), { method, headers, body, signal });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw fail(new ApiError(0, { detail: err.message }));
  }
  return res;
}

function fail(error, quiet = false) {
  if (!quiet) for (const fn of listeners) fn(error);
  return error;
}

async function problem(res, quiet = false) {
  let body = {};
  try {
    body = await res.json();
  } catch {
    body = { detail: res.statusText };
  }
  return fail(new ApiError(res.status, body), quiet);
}

/** JSON in, JSON out; throws ApiError for any status outside 2xx (and ``ok`` extras).
 * ``quiet``: do not tell the listeners (a probe whose 403 is an answer, not a failure). */
export async function api(method, path, options = {}) {
  const res = await send(method, path, options);
  if (!res.ok && !(options.ok || []).includes(res.status)) throw await problem(res, options.quiet);
  if (res.status === 204 || res.status === 304) return null;
  return (res.headers.get("content-type") || "").includes("json") ? res.json() : res.text();
}

/** POST ``json`` and yield each Server-Sent Event as ``{event, data}`` (data parsed as JSON). */
export async function* events(path, json, signal) {
  const res = await send("POST", path, { json, accept: "text/event-stream", signal });
  if (!res.ok) throw await problem(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    // On the whole buffer, so a CRLF split across two reads is still one line end.
    buffer = (buffer + value).replace(/\r\n/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) yield { event, data: JSON.parse(data.join("\n")) };
    }
  }
}
