// The bare-endpoint baseline: GET /health as fast as it goes (PROFILE=flat, no think time).
// Measured in the same run as the other scenarios so their ratios compare across machines.
import http from 'k6/http';
import { check } from 'k6';
import { BASE_URL, TREND_STATS, loadScenario } from './lib.js';

export const options = {
  scenarios: { health: loadScenario('flat') },
  summaryTrendStats: TREND_STATS,
  thresholds: {
    http_req_failed: ['rate==0'],
  },
};

export default function () {
  const res = http.get(`${BASE_URL}/health`);
  check(res, { 'status 200': (r) => r.status === 200 });
}
