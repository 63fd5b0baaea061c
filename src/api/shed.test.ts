/**
 * Load shedding through the app (`app.request`), against real backends on
 * 127.0.0.1: the gate before a service's retry loop, `PATCH
 * /api/services/NAME` that sets the percent at run time, and what stats,
 * metrics and the access log say. Randomness is injected (a seeded
 * generator), so every count below is the same on every run.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startBackend, type TestBackend } from '../../test/fixtures/backends.ts';
import type { TestEnv as ConnEnv } from '../../test/fixtures/app.ts';
import { createApp, type Platform } from '../app.ts';
import { validateConfig } from '../config/validate.ts';
import { createLogger } from '../core/log.ts';
import { nodeHmac } from '../runtime/hashes.ts';
import { memoryStore } from '../storage/memory.ts';
import { undiciTransport } from '../transport/undici.ts';

const transport = undiciTransport();
const local: ConnEnv = { clientIp: '127.0.0.1' };
const TOKEN = 'shed-test-admin-token';

/** A seeded generator (LCG): the same draws every run. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

function configOf(json: Record<string, unknown>) {
  const r = validateConfig({ load_balancer: { port: 0 }, health_check: { enabled: false }, timeout: 1, log_level: 'silent', access_log: 'off', ...json }, () => 'test');
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.config;
}

function make(json: Record<string, unknown>, more: Partial<Platform> = {}) {
  return createApp({ config: configOf(json), transport, hmac: nodeHmac, random: seeded(42), clientIp: (c) => (c.env as ConnEnv).clientIp, ...more }).app;
}
type App = ReturnType<typeof make>;

const patch = (app: App, service: string, body: unknown, env: ConnEnv = local, headers: Record<string, string> = {}) =>
  app.request(`/api/services/${service}`, { method: 'PATCH', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) }, env);

interface ShedFigures {
  shed_percent: number;
  shed_percent_source: string;
  shed: number;
  total_requests: number;
  failed_requests: number;
}
const statsOf = async (app: App, service: string) => ((await (await app.request('/api/stats', {}, local)).json()) as { services: Record<string, ShedFigures> }).services[service];

/** Sends `n` requests with `headers`; gives back how many were shed (503 from the gate), checking each answer's shape. */
async function send(app: App, n: number, headers: Record<string, string> = {}, path = '/echo'): Promise<number> {
  let shed = 0;
  for (let i = 0; i < n; i++) {
    const res = await app.request(path, { headers }, local);
    const body = await res.text();
    if (res.status === 503) {
      assert.equal(JSON.parse(body).type, 'urn:switchyard:problem:shedding-load');
      assert.ok(Number(res.headers.get('retry-after')) >= 1);
      shed++;
    } else assert.equal(res.status, 200, body);
  }
  return shed;
}

describe('load shedding through the app', () => {
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

  it("sheds the config's shed_percent: 503 problem+json with Retry-After, none of it reaching a server", async () => {
    const lines: string[] = [];
    const app = make({ servers: [{ url: a.url }], shed_percent: 100, access_log: 'json' }, { log: createLogger('info', (l) => lines.push(l)) });
    const res = await app.request('/orders', {}, local);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '10');
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    assert.deepEqual(await res.json(), {
      type: 'urn:switchyard:problem:shedding-load',
      title: 'Shedding load',
      status: 503,
      detail: 'Service default is shedding 100% of its load; try again in 10 s.',
      service: 'default',
      shed_percent: 100,
      instance: '/orders',
    });
    assert.equal(await send(app, 4), 4);
    assert.equal(a.hits.total, 0);
    const s = await statsOf(app, 'default');
    assert.deepEqual([s.shed_percent, s.shed_percent_source, s.shed, s.total_requests, s.failed_requests], [100, 'config', 5, 5, 5]);
    const log = lines.map((l) => JSON.parse(l)).filter((e) => e.path === '/orders');
    assert.deepEqual(log.map((e) => [e.status, e.server, e.attempts]), [[503, null, 0]]);
    const metrics = await (await app.request('/api/metrics', {}, local)).text();
    assert.match(metrics, /^switchyard_shed_total\{service="default"\} 5$/m);
    assert.match(metrics, /^switchyard_generated_responses_total\{code="503"\} 5$/m);
  });

  it('sheds about the percent, and what passes reaches the servers', async () => {
    const app = make({ servers: [{ url: a.url }, { url: b.url }], shed_percent: 30 });
    const shed = await send(app, 400);
    // Binomial(400, 0.3): mean 120, sd 9.2; the draws are seeded, the bounds are 4 sd.
    assert.ok(shed >= 83 && shed <= 157, `${shed} of 400 shed`);
    assert.equal(a.hits.total + b.hits.total, 400 - shed, 'every request not shed was served');
    assert.equal((await statsOf(app, 'default')).shed, shed);
  });

  it('sheds low priority first, then requests without a session, and sticky sessions last', async () => {
    const app = make({
      servers: [{ url: a.url }, { url: b.url }],
      sticky: { cookie: 'SY', secret: 'a-sticky-secret-of-16+' },
      priority: { header: 'x-priority', low: ['batch'] },
    });
    const first = await app.request('/echo', {}, local);
    await first.arrayBuffer();
    const cookie = first.headers.getSetCookie()[0].split(';')[0];
    assert.equal((await patch(app, 'default', { shed_percent: 50 })).status, 200);
    // Each round: 2 without a session, 1 with, 1 low priority. 50% of it: every low one, half of those without a session, no session.
    const counts = { low: 0, none: 0, session: 0 };
    for (let round = 0; round < 60; round++) {
      counts.none += await send(app, 2);
      counts.session += await send(app, 1, { cookie });
      counts.low += await send(app, 1, { 'x-priority': 'Batch' });
    }
    assert.equal(counts.session, 0, 'no request with a sticky session was shed');
    assert.ok(counts.low >= 59, `${counts.low} of 60 low-priority requests shed (the first, before any was measured, may pass)`);
    assert.ok(counts.none >= 40 && counts.none <= 80, `${counts.none} of 120 without a session shed (p ≈ 1/2)`);
    // A cookie that names no server of the service is no session: shed as any other.
    assert.equal(await send(app, 10, { cookie: 'SY=AAAAAAAAAAAAAAAA.0123456789abcdef.1' }) > 0, true);
  });

  it('when no-session traffic cannot cover the percent, sticky sessions are shed too, only as much as needed', async () => {
    const app = make({ servers: [{ url: a.url }], sticky: { cookie: 'SY', secret: 'a-sticky-secret-of-16+' } });
    const first = await app.request('/echo', {}, local);
    await first.arrayBuffer();
    const cookie = first.headers.getSetCookie()[0].split(';')[0];
    await patch(app, 'default', { shed_percent: 60 });
    // One in five without a session: all of them shed, and half the sessions.
    let none = 0;
    let session = 0;
    for (let round = 0; round < 50; round++) {
      none += await send(app, 1);
      session += await send(app, 4, { cookie });
    }
    assert.ok(none >= 48, `${none} of 50 without a session shed`);
    assert.ok(session >= 70 && session <= 130, `${session} of 200 sessions shed (p ≈ 1/2)`);
  });
});

describe('PATCH /api/services/NAME', () => {
  let a: TestBackend;
  before(async () => {
    a = await startBackend('A');
  });
  after(async () => a.close());

  const services = () => ({ api: { servers: [{ url: a.url }], shed_percent: 10 } });

  it('sets shed_percent at run time, answers the service, records an admin event; null goes back to the settings', async () => {
    const app = make({ services: services() });
    const res = await patch(app, 'api', { shed_percent: 100 });
    assert.equal(res.status, 200);
    const { service } = (await res.json()) as { service: ShedFigures & { name: string } };
    assert.deepEqual([service.name, service.shed_percent, service.shed_percent_source, service.shed], ['api', 100, 'api', 0]);
    const events = ((await (await app.request('/api/stats', {}, local)).json()) as { events: Array<{ kind: string; service: string; from: string; to: string }> }).events;
    assert.deepEqual(
      events.filter((e) => e.kind === 'admin').map((e) => [e.service, e.from, e.to]),
      [['api', 'shed_percent from settings', 'shed_percent 100']],
    );
    const back = (await (await patch(app, 'api', { shed_percent: null })).json()) as { service: ShedFigures };
    assert.deepEqual([back.service.shed_percent, back.service.shed_percent_source], [10, 'config']);
    const zero = (await (await patch(app, 'api', { shed_percent: 0 })).json()) as { service: ShedFigures };
    assert.deepEqual([zero.service.shed_percent, zero.service.shed_percent_source], [0, 'api'], '0 turns configured shedding off');
  });

  it('the percent applies to the service it names, reached through its route', async () => {
    const app = make({ services: services(), routes: [{ match: { path_prefix: '/' }, service: 'api' }] });
    const hits = a.hits.total;
    await patch(app, 'api', { shed_percent: 100 });
    assert.equal(await send(app, 3), 3);
    assert.equal(a.hits.total, hits, 'none reached the server');
    await patch(app, 'api', { shed_percent: 0 });
    assert.equal(await send(app, 3), 0);
    assert.equal(a.hits.total, hits + 3);
  });

  it('refuses bad bodies with 400 naming the field and the value', async () => {
    const app = make({ services: services() });
    const table: Array<[string, unknown, string[]]> = [
      ['over 100', { shed_percent: 101 }, ["shed_percent: must be a percentage 0-100, or null for the service's settings, got 101"]],
      ['negative', { shed_percent: -1 }, ["shed_percent: must be a percentage 0-100, or null for the service's settings, got -1"]],
      ['a string', { shed_percent: '50' }, [`shed_percent: must be a percentage 0-100, or null for the service's settings, got "50"`]],
      ['missing', {}, ['shed_percent: is required']],
      ['an unknown field', { shed_percent: 5, weight: 2 }, ['weight: unknown key']],
      ['not an object', [50], ['(root): must be an object, got [50]']],
    ];
    for (const [name, body, errors] of table) {
      const res = await patch(app, 'api', body);
      assert.equal(res.status, 400, name);
      assert.deepEqual(((await res.json()) as { errors: string[] }).errors, errors, name);
    }
    const broken = await patch(app, 'api', '{"shed_percent": ');
    assert.equal(broken.status, 400);
    assert.equal(((await broken.json()) as { detail: string }).detail, 'The body is not valid JSON.');
    assert.equal((await statsOf(app, 'api')).shed_percent_source, 'config', 'nothing was changed');
  });

  it('answers 404 for a service there is not', async () => {
    const app = make({ services: services() });
    const res = await patch(app, 'nope', { shed_percent: 5 });
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as { detail: string }).detail, /no service nope/);
  });

  it('is a write: the admin token, or loopback when none is set', async () => {
    const guarded = make({ services: services(), admin: { token: TOKEN } });
    const far: ConnEnv = { clientIp: '198.51.100.7' };
    assert.equal((await patch(guarded, 'api', { shed_percent: 5 }, far)).status, 401);
    assert.equal((await patch(guarded, 'api', { shed_percent: 5 }, far, { authorization: 'Bearer wrong-token-wrong' })).status, 401);
    assert.equal((await patch(guarded, 'api', { shed_percent: 5 }, far, { authorization: `Bearer ${TOKEN}` })).status, 200);
    const open = make({ services: services() });
    assert.equal((await patch(open, 'api', { shed_percent: 5 }, far)).status, 403);
    assert.equal((await statsOf(open, 'api')).shed_percent, 10);
  });

  it('is stored in the services document: another instance on the store sheds alike; a new definition or registration keeps it', async () => {
    const store = { ...memoryStore(), shared: true };
    const one = make({ services: services() }, { store, snapshotTtlMs: 0 });
    const two = make({ services: services() }, { store, snapshotTtlMs: 0 });
    await patch(one, 'api', { shed_percent: 40 });
    assert.deepEqual([(await statsOf(two, 'api')).shed_percent, (await statsOf(two, 'api')).shed_percent_source], [40, 'api']);
    const put = await one.request('/api/services/api', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ servers: [{ url: a.url }] }) }, local);
    assert.equal(put.status, 200);
    assert.equal(((await put.json()) as { service: ShedFigures }).service.shed_percent, 40, 'PUT replaces the definition, not the run-time shedding');
    const register = (app: App) =>
      app.request('/api/v1/services/img7/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ container_id: 'c1', name: 'one', port: a.port, image_id: 'img7' }]) }, local);
    assert.equal((await register(two)).status, 201);
    const seeded3 = await patch(two, 'img7', { shed_percent: 100 });
    assert.equal(seeded3.status, 200, "seed 003's services may be patched too");
    assert.equal((await register(one)).status, 200);
    assert.equal((await statsOf(one, 'img7')).shed_percent, 100, 'registering again keeps it');
    const through = await one.request('/api/v1/proxy/img7/echo', {}, local);
    assert.equal(through.status, 503, "seed 003's gateway passes the service's gates");
    await through.arrayBuffer();
  });
});
