import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { monitorView, table } from './table.ts';

describe('terminal tables', () => {
  it('aligns columns: first left, the rest right', () => {
    assert.equal(table(['a', 'bb'], [['xyz', 1], ['q', 200]]), 'a     bb\n---  ---\nxyz    1\nq    200');
  });
  it('monitor view shows totals and one row per server', () => {
    const out = monitorView(
      {
        algorithm: 'round_robin', uptime: 5, total_requests: 10, failed_requests: 1, error_rate: 10, requests_per_second: 2, healthy_servers: 1, total_servers: 2,
        servers: {
          '127.0.0.1:1': { status: 'healthy', weight: 1, active_connections: 0, requests: 9, errors: 0, avg_response_time_ms: 1.5, p99_ms: 3, circuit: 'closed' },
          '127.0.0.1:2': { status: 'unhealthy', weight: 2, active_connections: 0, requests: 1, errors: 1, avg_response_time_ms: 0, p99_ms: 0, circuit: 'open' },
        },
      },
      'http://lb',
      new Date('2026-01-01T10:20:30Z'),
    );
    assert.match(out, /10:20:30 {2}algorithm round_robin/);
    assert.match(out, /servers 1\/2 healthy {3}requests 10 {3}failed 1 \(10%\)/);
    assert.match(out, /127\.0\.0\.1:2 +unhealthy +2 +0 +1 +1 +0 ms +0 ms +open/);
  });
});
