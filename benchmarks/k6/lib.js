// Shared by the ragmono k6 scenarios: load profiles, the query set, request helpers.
// Every script reads its settings from the environment (k6 run -e NAME=value):
//   BASE_URL   the app, e.g. http://127.0.0.1:8000 (loopback only)
//   PROFILE    full (the seed's stages, 6 min) | quick (the same shape in 1 min) | flat
//   VUS, DURATION   for PROFILE=flat: constant virtual users for a fixed time (no think time)
//   THINK_S    seconds each virtual user waits between requests in staged profiles (default 1)
//   QUERIES    JSON file written by benchmarks/corpus.py: [{kind, text, document_id, answer}]
//   COLLECTION the seeded collection
import { SharedArray } from 'k6/data';

export const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8000';
export const COLLECTION = __ENV.COLLECTION || 'bench';
export const THINK_S = parseFloat(__ENV.THINK_S || '1');

// The seed's scenario: 1 min to 10 VUs, 2 min to 50, hold, ramp down.
const STAGES = {
  full: [
    { duration: '1m', target: 10 },
    { duration: '2m', target: 50 },
    { duration: '2m', target: 50 },
    { duration: '1m', target: 0 },
  ],
  quick: [
    { duration: '10s', target: 10 },
    { duration: '20s', target: 50 },
    { duration: '20s', target: 50 },
    { duration: '10s', target: 0 },
  ],
};

/** The executor for PROFILE: staged ramping VUs, or flat constant VUs for saturation runs. */
export function loadScenario(defaultProfile = 'quick') {
  const profile = __ENV.PROFILE || defaultProfile;
  if (profile === 'flat') {
    return {
      executor: 'constant-vus',
      vus: parseInt(__ENV.VUS || '10', 10),
      duration: __ENV.DURATION || '10s',
      gracefulStop: '5s',
    };
  }
  if (!(profile in STAGES)) {
    throw new Error(`PROFILE must be full, quick or flat, not ${profile}`);
  }
  return {
    executor: 'ramping-vus',
    startVUs: 0,
    stages: STAGES[profile],
    gracefulRampDown: '5s',
    gracefulStop: '5s',
  };
}

/** Seconds to wait between requests: none in flat (closed-loop) runs. */
export function thinkTime(defaultProfile = 'quick') {
  return (__ENV.PROFILE || defaultProfile) === 'flat' ? 0 : THINK_S;
}

/** The query set, loaded once and shared by every VU. */
export function loadQueries() {
  return new SharedArray('queries', () => {
    const all = JSON.parse(open(__ENV.QUERIES));
    if (all.length === 0) throw new Error(`no queries in ${__ENV.QUERIES}`);
    return all;
  });
}

/** Queries of one kind (dense, keyword, question). */
export function ofKind(queries, kind) {
  const out = [];
  for (let i = 0; i < queries.length; i++) {
    if (queries[i].kind === kind) out.push(queries[i]);
  }
  if (out.length === 0) throw new Error(`no ${kind} queries`);
  return out;
}

export function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

export const JSON_HEADERS = { headers: { 'Content-Type': 'application/json' } };

/** The body's field, or undefined when the body is not the JSON object expected. */
export function field(res, name) {
  try {
    const body = res.json();
    return body === null || typeof body !== 'object' ? undefined : body[name];
  } catch (e) {
    return undefined;
  }
}

// What every summary reports for a trend (the runner reads these from --summary-export).
export const TREND_STATS = ['avg', 'min', 'med', 'p(95)', 'p(99)', 'max', 'count'];
