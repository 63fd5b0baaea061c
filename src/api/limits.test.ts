/**
 * Rate limits and concurrency caps through the app (`app.request`), against
 * real backends on 127.0.0.1, with the clock injected: every scope, the
 * answers and headers, stats, metrics, the access log, and limits put
 * through the admin API.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startBackend, type TestBackend } from '../../test/fixtures/backends.ts';
import type { TestEnv as ConnEnv } from '../../test/fixtures/app.ts';
import { waitFor } from '../../test/fixtures/wait.ts';
import { createApp } from '../app.ts';
import { validateConfig } from '../config/validate.ts';
import { createLogger } from '../core/log.ts';
import { nodeHmac } from '../runtime/hashes.ts';
import { undiciTransport } from '../transport/undici.ts';

const transport = undiciTransport();
const local: ConnEnv = { clientIp: '127.0.0.1' };
const client = (ip: string): ConnEnv => ({ clientIp: ip });
const T0 = 1_700_000_000_000;

function configOf(json: Record<string, unknown>) {
  const r = validateConfig({ load_balancer: { port: 0 }, health_check: { enabled: false }, timeout: 5, log_level: 'silent', access_log: 'off', ...json }, () => 'test');
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.config;
}

function make(json: Record<string, unknown>, lines?: string[]) {
  const clock = { now: T0 };
  const log = lines ? createLogger('info', (l) => lines.push(l)) : undefined;
  const { app, balancer } = createApp({ config: configOf(json), transport, hmac: nodeHmac, now: () => clock.now, clientIp: (c) => (c.env as ConnEnv).clientIp, ...(log ? { log } : {}) });
  return { app, balancer, clock };
}
type App = ReturnType<typeof make>['app'];

/** Sends `n` requests; the statuses, bodies read. */
async function statuses(app: App, n: number, path = '/echo', env: ConnEnv = client('10.0.0.1'), headers: Record<string, string> = {}): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await app.request(path, { headers }, env);
    await res.arrayBuffer();
    out.push(res.status);
  }
  return out;
}
const count = (list: number[], status: number) => list.filter((s) => s === status).length;

const stats = async (app: App) => (await (await app.request('/api/stats', {}, local)).json()) as Record<string, any>;

describe('rate limits and concurrency caps through the app', () => {
  let a: TestBackend, b: TestBackend;
  before(async () => {
    [a, b] = await Promise.all([startBackend('A'), startBackend('B')]);
  });
  after(async () => {
    await Promise.all([a.close(), b.close()]);
  });
  beforeEach(() => {
    for (const x of [a, b]) x.hits.total = 0;
  });

  it('a global limit: the burst, then 429 problem+json with Retry-After and RateLimit headers; refills at the rate', async () => {
    const lines: string[] = [];
    const { app, clock } = make({ servers: [{ url: a.url }], rate_limit: { rate: '10/s', burst: 20 }, access_log: 'json' }, lines);
    const first = await statuses(app, 25);
    assert.deepEqual(first, [...Array(20).fill(200), ...Array(5).fill(429)]);
    assert.equal(a.hits.total, 20);
    const res = await app.request('/echo', {}, client('10.0.0.1'));
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    assert.equal(res.headers.get('retry-after'), '1');
    assert.equal(res.headers.get('ratelimit-policy'), '"global";q=20;w=2');
    assert.equal(res.headers.get('ratelimit'), '"global";r=0;t=2');
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.type, 'urn:switchyard:problem:rate-limited');
    assert.equal(body.limit, 'global');
    assert.equal(body.rate, '10/s');
    assert.equal(body.burst, 20);
    assert.equal(body.key, 'ip');
    assert.match(String(body.detail), /Rate limit global \(10\/s, burst 20, per ip\)/);
    // One emission interval later: exactly one more.
    clock.now += 100;
    assert.deepEqual(await statuses(app, 2), [200, 429]);
    // Another client has its own bucket.
    assert.deepEqual(await statuses(app, 1, '/echo', client('10.0.0.2')), [200]);
    // Allowed responses carry no headers unless asked.
    clock.now += 100;
    const ok = await app.request('/echo', {}, client('10.0.0.2'));
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('ratelimit'), null);
    const s = await stats(app);
    assert.deepEqual(s.rate_limits, [{ name: 'global', scope: 'global', key: 'ip', rate: '10/s', burst: 20, store: 'memory', exactness: 'per process', headers: false, allowed: 23, refused: 7 }]);
    assert.equal(s.total_requests, 30);
    assert.equal(s.failed_requests, 0);
    const access = lines.map((l) => JSON.parse(l)).filter((l) => l.status === 429);
    assert.equal(access.length, 7);
    const metrics = await (await app.request('/api/metrics', {}, local)).text();
    assert.match(metrics, /^switchyard_rate_limit_refused_total\{limit="global"\} 7$/m);
    assert.match(metrics, /^switchyard_rate_limit_allowed_total\{limit="global"\} 23$/m);
    assert.match(metrics, /^switchyard_generated_responses_total\{code="429"\} 7$/m);
  });

  it('headers: true puts RateLimit-Policy and RateLimit on allowed responses; exempt addresses pass uncounted', async () => {
    const { app } = make({ servers: [{ url: a.url }], rate_limit: { name: 'api', rate: '5/s', burst: 3, headers: true, exempt: ['127.0.0.0/8'] } });
    const res = await app.request('/echo', {}, client('10.0.0.9'));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('ratelimit-policy'), '"api";q=3;w=1');
    assert.equal(res.headers.get('ratelimit'), '"api";r=2;t=1');
    assert.deepEqual(await statuses(app, 10, '/echo', client('127.0.0.1')), Array(10).fill(200));
    assert.equal((await stats(app)).rate_limits[0].allowed, 1);
  });

  it('a key per header keeps two clients apart; requests without it share one count', async () => {
    const { app } = make({ servers: [{ url: a.url }], rate_limit: { rate: '1/m', burst: 2, key: 'header:x-api-key' } });
    const by = (key?: string) => statuses(app, 3, '/echo', client('10.0.0.1'), key ? { 'x-api-key': key } : {});
    assert.deepEqual(await by('alice'), [200, 200, 429]);
    assert.deepEqual(await by('bob'), [200, 200, 429]);
    assert.deepEqual(await by(), [200, 200, 429]);
    assert.equal(a.hits.total, 6);
  });

  it('a route limit and a service limit each apply only to their own traffic', async () => {
    const { app } = make({
      services: { web: { servers: [{ url: a.url }] }, api: { servers: [{ url: b.url }], rate_limit: { rate: '1/m', burst: 2 } } },
      routes: [
        { name: 'slow', match: { path_prefix: '/slow' }, service: 'web', rate_limit: { rate: '1/m', burst: 1, key: 'route' } },
        { name: 'api', match: { path_prefix: '/api-' }, service: 'api' },
        { name: 'rest', service: 'web' },
      ],
    });
    assert.deepEqual(await statuses(app, 3, '/slow'), [200, 429, 429]);
    assert.deepEqual(await statuses(app, 3, '/api-x'), [200, 200, 429]);
    assert.deepEqual(await statuses(app, 5, '/other'), Array(5).fill(200));
    assert.equal(a.hits.total, 6);
    assert.equal(b.hits.total, 2);
    const s = await stats(app);
    assert.deepEqual(
      s.rate_limits.map((r: Record<string, unknown>) => [r.name, r.scope, r.allowed, r.refused]),
      [
        ['route:slow', 'route:slow', 1, 2],
        ['service:api', 'service:api', 2, 1],
      ],
    );
    assert.equal(s.services.api.total_requests, 3);
    const routes = (await (await app.request('/api/routes', {}, local)).json()) as { routes: Array<Record<string, any>> };
    assert.deepEqual(routes.routes[0].limits, { rate_limit: [{ name: 'route:slow', key: 'route', rate: '1/m', burst: 1, store: 'memory', exempt: [], headers: false }], max_concurrent: null });
    assert.deepEqual(routes.routes[2].limits, { rate_limit: [], max_concurrent: null });
  });

  it('max_concurrent: one past the limit is refused; a place comes back when a request ends, or its client goes', async () => {
    const { app } = make({ servers: [{ url: a.url }], max_concurrent: 2 });
    const clients = [new AbortController(), new AbortController()];
    const held = clients.map((c) => Promise.resolve(app.request('/delay?ms=60000', { signal: c.signal }, client('10.0.0.1'))).then((r) => r.status, () => 'aborted'));
    await waitFor('both requests at the backend', async () => a.hits.total, (n) => n === 2);
    const over = await app.request('/echo', {}, client('10.0.0.1'));
    assert.equal(over.status, 429);
    const body = (await over.json()) as Record<string, unknown>;
    assert.equal(body.type, 'urn:switchyard:problem:too-many-in-progress');
    assert.equal(body.max_concurrent, 2);
    assert.equal(over.headers.get('retry-after'), '1');
    assert.equal(a.hits.total, 2);
    // Another client is not held up.
    assert.deepEqual(await statuses(app, 1, '/echo', client('10.0.0.2')), [200]);
    const s = await stats(app);
    assert.deepEqual(s.concurrency_limits, [{ name: 'global', scope: 'global', key: 'ip', limit: 2, in_progress: 2, refused: 1 }]);
    // A client that goes away while its request is held gives its place back.
    clients[0].abort();
    await waitFor('the aborted place given back', async () => (await stats(app)).concurrency_limits[0].in_progress, (n) => n === 1);
    clients[1].abort();
    await Promise.all(held);
    await waitFor('both places given back', async () => (await stats(app)).concurrency_limits[0].in_progress, (n) => n === 0);
    // So does one that cancels a response mid-body.
    const big = await app.request('/download?bytes=50000000', {}, client('10.0.0.1'));
    assert.equal(big.status, 200);
    const reader = big.body!.getReader();
    await reader.read();
    assert.equal((await stats(app)).concurrency_limits[0].in_progress, 1);
    await reader.cancel();
    await waitFor('the place given back', async () => (await stats(app)).concurrency_limits[0].in_progress, (n) => n === 0);
    assert.deepEqual(await statuses(app, 2, '/echo', client('10.0.0.1')), [200, 200]);
    const metrics = await (await app.request('/api/metrics', {}, local)).text();
    assert.match(metrics, /^switchyard_concurrency_refused_total\{limit="global"\} 1$/m);
  });

  it('routes and services put through the API carry limits; counts survive the change; names and stores are checked', async () => {
    const { app } = make({ admin: { token: 'secret-token' }, services: { web: { servers: [{ url: a.url }] } }, routes: [{ name: 'all', service: 'web' }] });
    const auth = { authorization: 'Bearer secret-token', 'content-type': 'application/json' };
    const put = (path: string, body: unknown) => app.request(path, { method: 'PUT', headers: auth, body: JSON.stringify(body) }, local);
    const routes = [{ name: 'all', service: 'web', rate_limit: { name: 'per-ip', rate: '1/m', burst: 2 } }];
    assert.equal((await put('/api/routes', routes)).status, 200);
    assert.deepEqual(await statuses(app, 3), [200, 200, 429]);
    // Put again (another route added): the limit's count stays.
    assert.equal((await put('/api/routes', [{ name: 'x', match: { path_prefix: '/x' }, service: 'web' }, ...routes])).status, 200);
    assert.deepEqual(await statuses(app, 1), [429]);
    // A service with a limit of its own.
    assert.equal((await put('/api/services/api', { servers: [{ url: b.url }], max_concurrent: { name: 'api-cap', limit: 1 } })).status, 201);
    assert.deepEqual((await stats(app)).concurrency_limits, [{ name: 'api-cap', scope: 'service:api', key: 'ip', limit: 1, in_progress: 0, refused: 0 }]);
    // A name another scope uses, and a store this runtime has not: 400 naming the field.
    const dup = await put('/api/services/api', { servers: [{ url: b.url }], rate_limit: { name: 'per-ip', rate: '1/s' } });
    assert.equal(dup.status, 400);
    assert.match(JSON.stringify(await dup.json()), /rate_limit\.name: names routes\[1\]\.rate_limit too/);
    const edge = await put('/api/routes', [{ name: 'all', service: 'web', rate_limit: { rate: '10/10s', store: 'edge' } }]);
    assert.equal(edge.status, 400);
    assert.match(JSON.stringify(await edge.json()), /\[0\]\.rate_limit\.store: \\"edge\\" needs the SWITCHYARD_RATE_LIMIT rate-limit binding/);
    const twice = await put('/api/routes', [
      { name: 'a', service: 'web', rate_limit: { name: 'same', rate: '1/s' } },
      { name: 'b', service: 'web', rate_limit: { name: 'same', rate: '1/s' } },
    ]);
    assert.equal(twice.status, 400);
    assert.match(JSON.stringify(await twice.json()), /\[1\]\.rate_limit\.name: names \[0\]\.rate_limit too/);
  });

  it("the gateway's traffic (PREFIX/v1/proxy/NAME/...) passes the top level's limits too", async () => {
    const { app } = make({ services: { web: { servers: [{ url: a.url }] } }, rate_limit: { rate: '1/m', burst: 2 } });
    assert.deepEqual(await statuses(app, 3, '/api/v1/proxy/web/echo'), [200, 200, 429]);
    assert.equal(a.hits.total, 2);
  });

  it('a scope without limits has no gates', () => {
    const { balancer } = make({ services: { web: { servers: [{ url: a.url }] } }, routes: [{ name: 'all', service: 'web' }] });
    assert.equal(balancer.routes[0].gates.length, 0);
  });
});
