// The seed's k6 load test (TradingSystem load-test-rag-k6.js / -with-jwt.js), written from
// its contract (seed-api.md sections 3.2, 7) against ragmono's seed-compatible routes:
//   setup:  GET /health must answer 200, or the run aborts (script 1's check)
//   VU:     GET /api/v1/rag/search?query=<q>&max_results=5, Accept: application/json,
//           200 with results.length > 0; then sleep 1-3 s (the seed's think time)
// The seed's stages (1m->10, 2m->50, 3m hold, 1m->0) shortened to PROFILE=quick's minute.
// Thresholds are the seed's. It counted HTTP 503 as "circuit open"; so does this.
// Extra environment: TOKEN (sent as X-Service-Token when set), QUERIES (JSON: [{text}]).
import http from 'k6/http';
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import { Rate, Trend } from 'k6/metrics';
import { BASE_URL, TREND_STATS, loadQueries, loadScenario, pick } from './lib.js';

const circuitOpen = new Rate('circuit_breaker_open_rate');
const queryDuration = new Trend('query_duration', true);
const queries = loadQueries();

export const options = {
  scenarios: { seed_search: loadScenario('quick') },
  summaryTrendStats: TREND_STATS,
  thresholds: {
    http_req_duration: ['p(95)<500'],
    http_req_failed: ['rate<0.1'],
    circuit_breaker_open_rate: ['rate<0.05'],
    query_duration: ['p(95)<1000'],
  },
};

const HEADERS = { Accept: 'application/json' };
if (__ENV.TOKEN) HEADERS['X-Service-Token'] = __ENV.TOKEN;

export function setup() {
  const res = http.get(`${BASE_URL}/health`);
  if (res.status !== 200) exec.test.abort(`health check answered ${res.status}`);
}

export default function () {
  const q = encodeURIComponent(pick(queries).text);
  const res = http.get(`${BASE_URL}/api/v1/rag/search?query=${q}&max_results=5`, {
    headers: HEADERS,
    tags: { name: 'rag_search' },
  });
  circuitOpen.add(res.status === 503);
  queryDuration.add(res.timings.duration);
  check(res, {
    'status 200': (r) => r.status === 200,
    'has results': (r) => {
      try {
        return r.json('results').length > 0;
      } catch (e) {
        return false;
      }
    },
  });
  sleep(1 + Math.random() * 2);
}
