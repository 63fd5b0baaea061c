import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLimitKey, parseRate } from './traffic-schema.ts';
import { validateConfig } from './validate.ts';

describe('parseRate', () => {
  const table: Array<[string, { limit: number; periodMs: number } | undefined]> = [
    ['100/s', { limit: 100, periodMs: 1000 }],
    ['1000/m', { limit: 1000, periodMs: 60_000 }],
    ['5/10s', { limit: 5, periodMs: 10_000 }],
    ['60/h', { limit: 60, periodMs: 3_600_000 }],
    [' 7 / 500ms ', { limit: 7, periodMs: 500 }],
    ['0/s', undefined],
    ['10/0s', undefined],
    ['10', undefined],
    ['10/day', undefined],
    ['-1/s', undefined],
    ['1.5/s', undefined],
  ];
  for (const [text, want] of table) it(JSON.stringify(text), () => assert.deepEqual(parseRate(text), want));
});

describe('parseLimitKey', () => {
  const table: Array<[string, unknown]> = [
    ['ip', { by: 'ip' }],
    ['route', { by: 'route' }],
    ['header:X-API-Key', { by: 'header', name: 'x-api-key' }],
    ['cookie:session', { by: 'cookie', name: 'session' }],
    ['header:', undefined],
    ['header:bad name', undefined],
    ['query:x', undefined],
    ['IP', undefined],
  ];
  for (const [text, want] of table) it(JSON.stringify(text), () => assert.deepEqual(parseLimitKey(text), want));
});

describe('traffic settings in a config file', () => {
  const ok = (raw: unknown) => {
    const r = validateConfig(raw, () => 'c.json');
    assert.ok(r.ok, JSON.stringify(r));
    return r.config;
  };
  const errors = (raw: unknown) => {
    const r = validateConfig(raw, () => 'c.json');
    assert.ok(!r.ok, 'accepted');
    return r.errors;
  };

  it('fills defaults: key ip, burst the rate, store memory, names by scope', () => {
    const c = ok({
      servers: [{ url: 'http://127.0.0.1:1' }],
      rate_limit: { rate: '10/s' },
      services: { api: { servers: [{ url: 'http://127.0.0.1:2' }], rate_limit: [{ rate: '5/m' }, { rate: '1/s', key: 'header:x-key', headers: true }] } },
      routes: [{ name: 'r', service: 'api', max_concurrent: 3 }],
    });
    assert.deepEqual(c.globalLimits.rateLimits.map((r) => [r.name, r.keyText, r.limit, r.periodMs, r.burst, r.store, r.headers]), [['global', 'ip', 10, 1000, 10, 'memory', false]]);
    const api = c.services.find((s) => s.name === 'api')!;
    assert.deepEqual(api.limits.rateLimits.map((r) => r.name), ['service:api[0]', 'service:api[1]']);
    assert.deepEqual(api.limits.rateLimits[1].key, { by: 'header', name: 'x-key' });
    assert.deepEqual(c.routes[0].limits?.maxConcurrent, { name: 'route:r', key: { by: 'ip' }, keyText: 'ip', limit: 3, exempt: [] });
    assert.deepEqual(c.limits, { rateLimits: [], maxConcurrent: null }, 'the default service has no limits of its own');
  });

  it('a service does not inherit the top-level limits, but does inherit queue and shedding settings', () => {
    const c = ok({ rate_limit: { rate: '10/s' }, max_queue: 7, queue_timeout: 2, shed_percent: 25, priority: { header: 'X-Priority', low: ['batch'] }, services: { a: { servers: [] } } });
    const a = c.services[0];
    assert.deepEqual(a.limits.rateLimits, []);
    assert.deepEqual([a.queue, a.shedPercent, a.priority], [{ maxQueue: 7, timeoutMs: 2000 }, 25, { header: 'x-priority', low: ['batch'] }]);
  });

  it('defaults: a queue of 100 for 10 s, nothing shed, no priority', () => {
    const c = ok({});
    assert.deepEqual([c.queue, c.shedPercent, c.priority], [{ maxQueue: 100, timeoutMs: 10_000 }, 0, null]);
  });

  it('max_conns on a server', () => {
    const c = ok({ servers: [{ url: 'http://127.0.0.1:1', max_conns: 2 }, { url: 'http://127.0.0.1:2', max_conns: 0 }] });
    assert.deepEqual(c.servers.map((s) => s.maxConns), [2, undefined]);
  });

  const table: Array<[string, unknown, string]> = [
    ['a bad rate', { rate_limit: { rate: 'fast' } }, 'c.json: rate_limit.rate: must be a rate such as "100/s", "1000/m" or "5/10s", got "fast"'],
    ['a bad key', { rate_limit: { rate: '1/s', key: 'query:x' } }, 'c.json: rate_limit.key: must be ip, header:NAME, cookie:NAME or route, got "query:x"'],
    ['a bad exempt range', { rate_limit: { rate: '1/s', exempt: ['10.0.0.0/40'] } }, 'c.json: rate_limit.exempt[0]: must be an address or CIDR range such as 10.0.0.0/8, got "10.0.0.0/40"'],
    ['an unknown store', { rate_limit: { rate: '1/s', store: 'redis' } }, 'c.json: rate_limit.store: must be one of memory, edge, durable_object, got "redis"'],
    ['edge per second', { rate_limit: { rate: '1/s', store: 'edge' } }, 'c.json: rate_limit.rate: must be per 10 s or per minute with store "edge" (the Workers rate-limit binding\'s periods), such as "100/10s" or "1000/m", got "1/s"'],
    ['edge with a burst', { rate_limit: { rate: '1/m', store: 'edge', burst: 5 } }, 'c.json: rate_limit.burst: is not available with store "edge": the binding allows its limit per period, got 5'],
    ['a binding without edge', { rate_limit: { rate: '1/m', binding: 'X' } }, 'c.json: rate_limit.binding: is only for store "edge", got "X"'],
    ['burst 0', { rate_limit: { rate: '1/m', burst: 0 } }, 'c.json: rate_limit.burst: must be an integer 1-1000000, got 0'],
    ['max_concurrent 0', { max_concurrent: 0 }, 'c.json: max_concurrent: must be an integer 1-1000000, got 0'],
    ['a negative queue', { max_queue: -1 }, 'c.json: max_queue: must be an integer 0-100000, got -1'],
    ['shed over 100', { shed_percent: 101 }, 'c.json: shed_percent: must be a percentage 0-100, got 101'],
    ['priority without low values', { priority: { header: 'x-p', low: [] } }, 'c.json: priority.low: must list at least one value, got []'],
    ['max_conns fractional', { servers: [{ url: 'http://127.0.0.1:1', max_conns: 1.5 }] }, 'c.json: servers[0].max_conns: must be an integer 0-1000000 (0: no cap), got 1.5'],
    [
      'one name for two limits',
      { rate_limit: { rate: '1/s', name: 'x' }, services: { a: { rate_limit: { rate: '2/s', name: 'x' } } } },
      'c.json: services.a.rate_limit.name: names rate_limit too; give each limit its own name, got "x"',
    ],
  ];
  for (const [what, raw, want] of table) {
    it(`names the field and the value: ${what}`, () => assert.ok(errors(raw).includes(want), `${want} not in ${JSON.stringify(errors(raw))}`));
  }
});
