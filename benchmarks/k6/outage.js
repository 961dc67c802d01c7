// Ollama killed midway: query and search traffic while the runner stops the Ollama server
// KILL_AT_S seconds into the run. Expected: no 5xx and no other errors; answers before the kill
// come from Ollama, answers after it are degraded 200s (keyword search, extractive answer).
//   k6 run -e BASE_URL=... -e QUERIES=queries.json -e PROFILE=quick -e KILL_AT_S=30 outage.js
import http from 'k6/http';
import exec from 'k6/execution';
import { check, sleep } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';
import {
  BASE_URL, COLLECTION, JSON_HEADERS, TREND_STATS, field, loadQueries, loadScenario, ofKind,
  pick, thinkTime,
} from './lib.js';

const KILL_AT_MS = parseFloat(__ENV.KILL_AT_S || '30') * 1000;
// Requests this close to the kill are in neither phase (k6's clock starts after its own
// start-up, so it lags the runner's timer by up to a few seconds on a busy machine).
const BEFORE_MS = 3000;
const AFTER_MS = 2000;
const queries = loadQueries();
const questions = ofKind(queries, 'question');
const dense = ofKind(queries, 'dense');

const queryMs = new Trend('query_ms', true);
const searchMs = new Trend('search_dense_ms', true);
const errors = new Counter('errors');
const status5xx = new Counter('status_5xx');
const degraded = new Rate('degraded');

export const options = {
  scenarios: { outage: loadScenario() },
  summaryTrendStats: TREND_STATS,
  thresholds: {
    http_req_duration: ['p(95)<500'],
    http_req_failed: ['rate<0.10'],
    status_5xx: ['count==0'],
    errors: ['count==0'],
    'degraded{phase:before}': ['rate<0.05'],
    'degraded{phase:after}': ['rate>0.95'],
    'query_ms{phase:after}': ['p(95)<500'],
  },
};

function phase() {
  const t = exec.instance.currentTestRunDuration;
  if (t < KILL_AT_MS - BEFORE_MS) return 'before';
  return t > KILL_AT_MS + AFTER_MS ? 'after' : 'transition';
}

function send(path, payload, trend, kind) {
  const tags = { name: kind, kind, phase: phase() };
  const res = http.post(`${BASE_URL}${path}`, JSON.stringify(payload),
    Object.assign({ tags }, JSON_HEADERS));
  trend.add(res.timings.duration, tags);
  if (res.status >= 500) status5xx.add(1, tags);
  if (res.status < 200 || res.status >= 300) {
    errors.add(1, tags);
    return null;
  }
  degraded.add(field(res, 'degraded') === true, tags);
  return res;
}

export default function () {
  if (Math.random() < 0.6) {
    const q = pick(questions);
    const res = send('/api/v1/query',
      { query: q.text, collection: COLLECTION, top_k: 5, stream: false }, queryMs, 'query');
    if (res) check(res, { 'query: an answer': () => (field(res, 'answer') || '').length > 0 });
  } else {
    const q = pick(dense);
    const res = send('/api/v1/search',
      { query: q.text, collection: COLLECTION, top_k: 10, mode: 'dense' }, searchMs, 'search');
    if (res) check(res, { 'search: results': () => (field(res, 'results') || []).length > 0 });
  }
  const pause = thinkTime();
  if (pause > 0) sleep(pause * (0.5 + Math.random()));
}
