import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { monitorView, table, UnknownService, type ServerLike, type ServiceLike, type StatsLike } from './table.ts';

const AT = new Date('2026-01-01T10:20:30Z');
const server = (over: Partial<ServerLike> = {}): ServerLike => ({ status: 'healthy', weight: 1, active_connections: 0, requests: 0, errors: 0, avg_response_time_ms: 0, p99_ms: 0, circuit: 'closed', ...over });
const service = (servers: Record<string, ServerLike>, over: Partial<ServiceLike> = {}): ServiceLike => ({
  algorithm: 'round_robin',
  total_requests: 0,
  failed_requests: 0,
  error_rate: 0,
  requests_per_second: 0,
  healthy_servers: Object.values(servers).filter((s) => s.status === 'healthy').length,
  total_servers: Object.keys(servers).length,
  servers,
  ...over,
});

const DEFAULT_SERVERS = {
  '127.0.0.1:1': server({ requests: 9, avg_response_time_ms: 1.5, p99_ms: 3 }),
  '127.0.0.1:2': server({ status: 'unhealthy', weight: 2, requests: 1, errors: 1, circuit: 'open' }),
};
const TOTALS = { algorithm: 'round_robin', uptime: 5, total_requests: 10, failed_requests: 1, error_rate: 10, requests_per_second: 2, healthy_servers: 1, total_servers: 2 };

/** A balancer with the default service, a canary web_next and a least_connections api (127.0.0.1:1 is in both default and api). */
const SEVERAL: StatsLike = {
  ...TOTALS,
  total_requests: 17,
  healthy_servers: 3,
  total_servers: 5,
  servers: DEFAULT_SERVERS,
  services: {
    default: service(DEFAULT_SERVERS, { total_requests: 10, failed_requests: 1, error_rate: 10, requests_per_second: 2 }),
    web_next: service({ '127.0.0.1:3': server({ requests: 4 }) }, { total_requests: 4, requests_per_second: 0.4 }),
    api: service({ '127.0.0.1:4': server({ status: 'draining', requests: 2 }), '127.0.0.1:1': server({ requests: 1 }) }, { algorithm: 'least_connections', total_requests: 3 }),
  },
};

describe('terminal tables', () => {
  it('aligns columns: first left, the rest right', () => {
    assert.equal(table(['a', 'bb'], [['xyz', 1], ['q', 200]]), 'a     bb\n---  ---\nxyz    1\nq    200');
  });
  it('aligns as many leading columns left as asked', () => {
    assert.equal(table(['a', 'b', 'c'], [['xy', 'z', 1], ['q', 'long', 20]], 2), 'a   b      c\n--  ----  --\nxy  z      1\nq   long  20');
  });

  const cases: Array<[string, StatsLike]> = [
    ['a balancer from before services', { ...TOTALS, servers: DEFAULT_SERVERS }],
    ['only the default service', { ...TOTALS, servers: DEFAULT_SERVERS, services: { default: service(DEFAULT_SERVERS) } }],
  ];
  for (const [what, stats] of cases) {
    it(`monitor view shows totals and one row per server, as always, for ${what}`, () => {
      const out = monitorView(stats, 'http://lb', AT);
      assert.match(out, /10:20:30 {2}algorithm round_robin/);
      assert.match(out, /servers 1\/2 healthy {3}requests 10 {3}failed 1 \(10%\)/);
      assert.match(out, /^127\.0\.0\.1:2 +unhealthy +2 +0 +1 +1 +0 ms +0 ms +open$/m);
      assert.match(out, /^server +health/m, 'no service column');
      assert.doesNotMatch(out, /^service/m, 'no service lines');
      assert.equal(out.split('\n').length, 2 + 2 + 2, 'two lines of totals, the header and its rule, two servers');
    });
  }

  it('with several services: a line per service above the servers, which gain a service column', () => {
    const out = monitorView(SEVERAL, 'http://lb', AT);
    const lines = out.split('\n');
    assert.match(lines[1], /^servers 3\/5 healthy {3}requests 17 /, 'the totals over every service');
    assert.equal(lines[2], '');
    assert.deepEqual(lines.slice(3, 8), [
      'service   algorithm          healthy  requests   failed  req/s',
      '--------  -----------------  -------  --------  -------  -----',
      'default   round_robin            1/2        10  1 (10%)      2',
      'web_next  round_robin            1/1         4   0 (0%)    0.4',
      'api       least_connections      1/2         3   0 (0%)      0',
    ]);
    assert.equal(lines[8], '');
    assert.match(lines[9], /^service {3}server {10}health/);
    const rows = lines.slice(11).map((l) => l.split(/ +/).slice(0, 3));
    assert.deepEqual(rows, [
      ['default', '127.0.0.1:1', 'healthy'],
      ['default', '127.0.0.1:2', 'unhealthy'],
      ['web_next', '127.0.0.1:3', 'healthy'],
      ['api', '127.0.0.1:4', 'draining'],
      ['api', '127.0.0.1:1', 'healthy'],
    ]);
  });

  it("with a service chosen: that service's figures and servers only", () => {
    const out = monitorView(SEVERAL, 'http://lb', AT, { service: 'api' });
    const lines = out.split('\n');
    assert.equal(lines[0], 'Switchyard http://lb  10:20:30  service api  algorithm least_connections  uptime 5s');
    assert.equal(lines[1], 'servers 1/2 healthy   requests 3   failed 0 (0%)   0 req/s');
    assert.match(lines[2], /^server +health/, 'no service column');
    assert.deepEqual(
      lines.slice(4).map((l) => l.split(/ +/).slice(0, 2)),
      [
        ['127.0.0.1:4', 'draining'],
        ['127.0.0.1:1', 'healthy'],
      ],
    );
    assert.doesNotMatch(out, /127\.0\.0\.1:[23]\b/);
  });

  it('the default service can be chosen by name, on any balancer', () => {
    assert.match(monitorView(SEVERAL, 'http://lb', AT, { service: 'default' }), /service default {2}algorithm round_robin[^]*servers 1\/2 healthy {3}requests 10 /);
    assert.match(monitorView({ ...TOTALS, servers: DEFAULT_SERVERS }, 'http://lb', AT, { service: 'default' }), /^127\.0\.0\.1:2 +unhealthy/m);
  });

  it('a server with open WebSockets shows how many of its active connections they are', () => {
    const out = monitorView({ ...TOTALS, servers: { '127.0.0.1:1': server({ active_connections: 3, open_websockets: 2 }) } }, 'http://lb', AT);
    assert.match(out, /^127\.0\.0\.1:1 +healthy +1 +3 \(2 ws\) +0 /m);
  });

  it('a service the balancer does not have is an error naming those it has', () => {
    assert.throws(() => monitorView(SEVERAL, 'http://lb', AT, { service: 'nope' }), (e: Error) => e instanceof UnknownService && e.message === 'no service "nope" (services: default, web_next, api)');
  });
});
