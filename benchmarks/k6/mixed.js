// Mixed read traffic: search (dense, keyword, hybrid) and /query with realistic queries.
//   k6 run -e BASE_URL=... -e QUERIES=queries.json -e PROFILE=quick benchmarks/k6/mixed.js
// MIX weights the request kinds (default dense:30,keyword:25,hybrid:30,query:15). Latency of
// searches is also split by the response's `cached` flag, so one run yields both numbers.
import http from 'k6/http';
import { check, sleep } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';
import {
  BASE_URL, COLLECTION, JSON_HEADERS, TREND_STATS, field, loadQueries, loadScenario, ofKind,
  pick, thinkTime,
} from './lib.js';

const queries = loadQueries();
const byKind = {
  dense: ofKind(queries, 'dense'),
  keyword: ofKind(queries, 'keyword'),
  question: ofKind(queries, 'question'),
};

const trends = {
  dense: new Trend('search_dense_ms', true),
  keyword: new Trend('search_keyword_ms', true),
  hybrid: new Trend('search_hybrid_ms', true),
  query: new Trend('query_ms', true),
};
const cachedMs = new Trend('search_cached_ms', true);
const uncachedMs = new Trend('search_uncached_ms', true);
const errors = new Counter('errors');
const status5xx = new Counter('status_5xx');
const degraded = new Rate('degraded');

function parseMix(text) {
  const mix = [];
  let total = 0;
  for (const part of text.split(',')) {
    const [kind, weight] = part.split(':');
    if (!(kind in trends)) throw new Error(`MIX: unknown kind ${kind}`);
    total += parseFloat(weight);
    mix.push([kind, total]);
  }
  return mix.map(([kind, upTo]) => [kind, upTo / total]);
}
const MIX = parseMix(__ENV.MIX || 'dense:30,keyword:25,hybrid:30,query:15');

export const options = {
  scenarios: { mixed: loadScenario() },
  summaryTrendStats: TREND_STATS,
  thresholds: {
    // The seed's thresholds.
    http_req_duration: ['p(95)<500'],
    http_req_failed: ['rate<0.10'],
    // Ours: no errors at all; search p95 <= 15 ms uncached and <= 3 ms from the cache.
    errors: ['count==0'],
    search_uncached_ms: ['p(95)<=15'],
    search_cached_ms: ['p(95)<=3'],
  },
};

function record(res, kind) {
  trends[kind].add(res.timings.duration);
  if (res.status >= 500) status5xx.add(1);
  if (res.status < 200 || res.status >= 300) {
    errors.add(1);
    return false;
  }
  degraded.add(field(res, 'degraded') === true);
  return true;
}

function search(kind) {
  // Hybrid traffic asks both styles of question.
  const q = kind === 'hybrid' ? pick(Math.random() < 0.5 ? byKind.dense : byKind.keyword)
    : pick(byKind[kind]);
  const body = JSON.stringify({ query: q.text, collection: COLLECTION, top_k: 10, mode: kind });
  const res = http.post(`${BASE_URL}/api/v1/search`, body,
    Object.assign({ tags: { name: 'search', kind } }, JSON_HEADERS));
  if (!record(res, kind)) return;
  (field(res, 'cached') === true ? cachedMs : uncachedMs).add(res.timings.duration);
  const results = field(res, 'results') || [];
  check(res, {
    [`${kind}: right document in top 10`]: () => results.some((r) => r.document_id === q.document_id),
  });
}

function query() {
  const q = pick(byKind.question);
  const body = JSON.stringify({ query: q.text, collection: COLLECTION, top_k: 5, stream: false });
  const res = http.post(`${BASE_URL}/api/v1/query`, body,
    Object.assign({ tags: { name: 'query', kind: 'query' } }, JSON_HEADERS));
  if (!record(res, 'query')) return;
  const sources = field(res, 'sources') || [];
  const answer = field(res, 'answer') || '';
  check(res, {
    'query: right document among sources': () => sources.some((s) => s.document_id === q.document_id),
    'query: answer states the fact': () => answer.includes(q.answer),
  });
}

export default function () {
  const r = Math.random();
  const kind = MIX.find(([, upTo]) => r < upTo)[0];
  if (kind === 'query') query(); else search(kind);
  const pause = thinkTime();
  if (pause > 0) sleep(pause * (0.5 + Math.random()));  // jittered, mean THINK_S
}
