/** Several applications behind one balancer: services and routes, in process against real backends. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { refusedPort, startBackend, type TestBackend } from '../test/fixtures/backends.ts';
import type { TestEnv } from '../test/fixtures/app.ts';
import { createApp } from './app.ts';
import { validateConfig } from './config/validate.ts';
import { nodeHmac } from './runtime/hashes.ts';
import { memoryStore } from './storage/memory.ts';
import type { StateStore } from './storage/types.ts';
import { undiciTransport } from './transport/undici.ts';

const transport = undiciTransport();
const local: TestEnv = { clientIp: '127.0.0.1' };
const json = (method: string, body: unknown) => ({ method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

function make(raw: Record<string, unknown>, store?: StateStore) {
  const r = validateConfig({ health_check: { enabled: false }, timeout: 1, log_level: 'silent', access_log: 'off', ...raw }, () => 'test');
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return createApp({ config: r.config, store, transport, hmac: nodeHmac, clientIp: (c) => (c.env as TestEnv).clientIp });
}

describe('services and routes', () => {
  let api: TestBackend, web1: TestBackend, web2: TestBackend, next: TestBackend, maint: TestBackend;
  before(async () => {
    [api, web1, web2, next, maint] = await Promise.all(['api', 'web1', 'web2', 'next', 'maint'].map((n) => startBackend(n)));
  });
  after(async () => {
    await Promise.all([api, web1, web2, next, maint].map((b) => b.close()));
  });

  const example = () => ({
    admin: { prefix: '/_lb' },
    services: {
      api: { servers: [{ url: api.url }], algorithm: 'least_connections' },
      web: { servers: [{ url: web1.url }, { url: web2.url }] },
      web_next: { servers: [{ url: next.url }], sticky: {} },
      maintenance: { servers: [{ url: maint.url }] },
    },
    routes: [
      { name: 'api-host', match: { host: 'api.example.com' }, service: 'api' },
      { name: 'api-prefix', match: { path_prefix: '/api/' }, service: 'api', strip_prefix: true },
      { name: 'canary-header', match: { headers: { 'x-canary': 'always' } }, service: 'web_next' },
      { name: 'site', match: { path_prefix: '/' }, split: [{ service: 'web', weight: 95 }, { service: 'web_next', weight: 5 }], fallback: 'maintenance' },
    ],
  });

  const served = async (app: ReturnType<typeof make>['app'], url: string, init: RequestInit = {}, env: TestEnv = local) => {
    const res = await app.request(url, init, env);
    const body = (await res.json()) as { handled_by?: string; path?: string; query?: string };
    return { status: res.status, by: body.handled_by, path: body.path, query: body.query, header: res.headers.get('x-served-by'), cookies: res.headers.getSetCookie() };
  };

  it('routes by host, by prefix (stripped, query kept), by header; names the service in X-Served-By', async () => {
    const { app } = make(example());
    const byHost = await served(app, 'http://api.example.com/users?page=2');
    assert.deepEqual([byHost.by, byHost.path, byHost.query, byHost.header], ['api', '/users', '?page=2', `api/${api.id}`]);
    assert.equal((await served(app, 'http://API.Example.com:8080/x')).by, 'api', 'host: any case, port ignored');
    const byPrefix = await served(app, 'http://www.example.com/api/users?x=1');
    assert.deepEqual([byPrefix.by, byPrefix.path, byPrefix.query], ['api', '/users', '?x=1']);
    assert.equal((await served(app, 'http://www.example.com/apis')).by === 'api', false, '/api/ does not take /apis');
    assert.equal((await served(app, 'http://www.example.com/', { headers: { 'x-canary': 'always' } })).by, 'next');
  });

  it("strip_prefix keeps a server URL's own base path", async () => {
    const { app } = make({ services: { app: { servers: [{ url: `${web1.url}/base` }] } }, routes: [{ match: { path_prefix: '/app' }, service: 'app', strip_prefix: true }] });
    assert.deepEqual([(await served(app, '/app/x?y=1')).path, (await served(app, '/app')).path], ['/base/x', '/base/']);
  });

  it('a split keeps each client on its side, and spreads clients by weight', async () => {
    const { app } = make(example());
    let canary = 0;
    const clients = 400;
    for (let i = 0; i < clients; i++) {
      const env = { clientIp: `10.1.${i >> 8}.${i & 255}` };
      const sides = new Set<string | undefined>();
      let cookie = '';
      for (let k = 0; k < 3; k++) {
        const r = await served(app, `http://www.example.com/page/${k}`, cookie ? { headers: { cookie } } : {}, env);
        sides.add(r.by === 'next' ? 'next' : 'web');
        cookie = r.cookies.find((c) => c.startsWith('SWITCHYARD_SERVER_web_next='))?.split(';')[0] ?? cookie;
      }
      assert.equal(sides.size, 1, `client ${env.clientIp} switched sides`);
      if (sides.has('next')) canary++;
    }
    // 5% of 400 clients is 20; a hash of the address places them, so allow ±12.
    assert.ok(canary >= 8 && canary <= 32, `${canary} of ${clients} clients on the canary`);
    const stats = (await (await app.request('/_lb/stats', {}, local)).json()) as { routes: Array<{ name: string; requests: number; split: Array<{ service: string; requests: number }> | null }> };
    const site = stats.routes.find((r) => r.name === 'site')!;
    assert.equal(site.requests, clients * 3);
    assert.equal(site.split![1].requests, canary * 3);
  });

  it("the canary's sticky cookie keeps a client on the canary even from another address", async () => {
    const { app } = make(example());
    let cookie: string | undefined;
    for (let i = 0; i < 400 && !cookie; i++) {
      const r = await served(app, 'http://www.example.com/', {}, { clientIp: `10.2.${i >> 8}.${i & 255}` });
      if (r.by === 'next') cookie = r.cookies.find((c) => c.startsWith('SWITCHYARD_SERVER_web_next='))!.split(';')[0];
    }
    assert.ok(cookie, 'some client reached the canary');
    for (let i = 0; i < 20; i++) assert.equal((await served(app, 'http://www.example.com/', { headers: { cookie } }, { clientIp: `10.3.0.${i}` })).by, 'next');
  });

  it('the fallback service answers while the chosen one has no available server', async () => {
    const dead = `http://127.0.0.1:${await refusedPort()}`;
    const raw = example();
    raw.services.web.servers = [{ url: dead }];
    raw.services.web_next.servers = [{ url: dead }];
    const { app } = make(raw);
    // The first request finds the refusal (and retries nowhere else: the service has one server).
    const first = await app.request('http://www.example.com/', {}, local);
    assert.equal(first.status, 502);
    await first.arrayBuffer();
    for (let i = 0; i < 4; i++) assert.equal((await served(app, `http://www.example.com/${i}`)).by, 'maint');
  });

  it('no route and no default service: 404 problem+json naming the request', async () => {
    const { app } = make({ services: { a: { servers: [{ url: api.url }] } }, routes: [{ match: { host: 'a.example.com' }, service: 'a' }] });
    const res = await app.request('http://b.example.com/x', {}, local);
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    assert.match(((await res.json()) as { detail: string }).detail, /No route matches GET b\.example\.com\/x/);
  });

  it('no route matched, with a default service: the default service answers', async () => {
    const { app } = make({ servers: [{ url: web1.url }], services: { a: { servers: [{ url: api.url }] } }, routes: [{ match: { host: 'a.example.com' }, service: 'a' }] });
    const r = await served(app, 'http://b.example.com/x');
    assert.deepEqual([r.by, r.header], ['web1', web1.id], 'the default service keeps the plain host:port');
    assert.equal((await served(app, 'http://a.example.com/x')).by, 'api');
  });

  it('each service keeps its own settings: a service without retries fails where the default retries', async () => {
    const dead = `http://127.0.0.1:${await refusedPort()}`;
    const { app } = make({ servers: [{ url: dead }, { url: web1.url }], load_balancer: { algorithm: 'first' }, services: { once: { servers: [{ url: dead }, { url: web2.url }], retries: 0 } }, routes: [{ match: { path_prefix: '/once' }, service: 'once' }] });
    assert.equal((await served(app, '/x')).by, 'web1', 'the default service retried on its second server');
    const res = await app.request('/once', {}, local);
    assert.equal(res.status, 502, 'retries 0: the refused attempt is the answer');
    const stats = (await (await app.request('/api/stats', {}, local)).json()) as { services: Record<string, { algorithm: string; servers: Record<string, unknown> }> };
    assert.equal(stats.services.once.algorithm, 'first', 'inherited');
  });

  it('the native API: services and their servers, routes replaced atomically, a bad list changing nothing', async () => {
    const { app } = make({ servers: [{ url: web1.url }], admin: { prefix: '/_lb' } });
    const put = await app.request('/_lb/services/api', json('PUT', { servers: [{ url: api.url }], retries: 1, health_check: { path: '/healthz' } }), local);
    assert.equal(put.status, 201);
    assert.equal(((await put.json()) as { service: { health_check: { path: string } } }).service.health_check.path, '/healthz');
    const list = (await (await app.request('/_lb/services', {}, local)).json()) as { services: Array<{ name: string }> };
    assert.deepEqual(list.services.map((s) => s.name), ['default', 'api']);
    const bad = await app.request('/_lb/routes', json('PUT', [{ match: { path_prefix: '/api/' }, service: 'api' }, { service: 'nope' }, { service: 'api', split: [] }]), local);
    assert.equal(bad.status, 400);
    const errors = ((await bad.json()) as { errors: string[] }).errors;
    assert.ok(errors.some((e) => /^\[2\]: must name a service or a split/.test(e)), JSON.stringify(errors));
    const badRef = await app.request('/_lb/routes', json('PUT', [{ service: 'nope' }]), local);
    assert.equal(badRef.status, 400);
    assert.match(((await badRef.json()) as { errors: string[] }).errors[0], /^\[0\]\.service: no such service \(services: default, api\), got "nope"$/);
    assert.equal((await served(app, '/api/x')).by, 'web1', 'nothing changed');
    const good = await app.request('/_lb/routes', json('PUT', [{ match: { path_prefix: '/api/' }, service: 'api', strip_prefix: true }]), local);
    assert.equal(good.status, 200);
    const r = await served(app, '/api/x');
    assert.deepEqual([r.by, r.path], ['api', '/x']);
    // Servers of a named service, by the same routes as the default one's.
    const add = await app.request('/_lb/services/api/servers', json('POST', { url: web2.url }), local);
    assert.equal(add.status, 201);
    const drain = await app.request(`/_lb/services/api/servers/${api.id}`, json('PATCH', { drain: true }), local);
    assert.equal(drain.status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await served(app, '/api/y')).by, 'web2');
    assert.equal((await app.request('/_lb/services/api', { method: 'DELETE' }, local)).status, 409, 'a route names it');
    assert.equal((await app.request('/_lb/services/nope/servers', {}, local)).status, 404);
    assert.equal((await app.request('/_lb/services/a%20b', json('PUT', {}), local)).status, 400);
  });

  it("a change to one service leaves another's rotation where it was", async () => {
    const { app } = make({ servers: [{ url: web1.url }, { url: web2.url }] });
    assert.equal((await served(app, '/a')).by, 'web1');
    assert.equal((await app.request('/api/services/other', json('PUT', { servers: [{ url: api.url }] }), local)).status, 201);
    assert.equal((await served(app, '/b')).by, 'web2', 'round robin goes on, not back to the first server');
  });

  it('/api/servers works on the default service, and says so when there is none', async () => {
    const { app } = make({ services: { a: { servers: [{ url: api.url }] } }, routes: [{ service: 'a' }] });
    const res = await app.request('/api/servers', json('POST', { url: web1.url }), local);
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as { detail: string }).detail, /no default service/);
  });

  it("seed 003's gateway: register → proxy (every method, path and query) → stats → health-check, and a bad registration refused", async () => {
    const { app } = make({ servers: [] });
    const containers = [
      { container_id: 'container-1', name: 'my-app-1', port: web1.port, image_id: 1, status: 'healthy' },
      { container_id: 'container-2', name: 'my-app-2', port: web2.port, image_id: 1, status: 'healthy' },
      { container_id: 'container-3', name: 'my-app-3', port: api.port, image_id: 1, status: 'exited' },
    ];
    const reg = await app.request('/api/v1/services/1/register?image_name=my-app', json('POST', containers), local);
    assert.equal(reg.status, 201);
    const info = (await reg.json()) as { image_id: string; image_name: string; containers: Array<{ container_id: string; health: string }>; healthy_containers: number };
    assert.deepEqual([info.image_id, info.image_name, info.healthy_containers], ['1', 'my-app', 2]);
    assert.equal(info.containers.find((c) => c.container_id === 'container-3')!.health, 'not_serving');
    const seen = new Set<string | undefined>();
    for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await served(app, '/api/v1/proxy/1/api/users?id=7', { method, ...(method === 'GET' || method === 'DELETE' ? {} : { body: 'x' }) });
      assert.deepEqual([r.status, r.path, r.query], [200, '/api/users', '?id=7'], method);
      seen.add(r.by);
    }
    assert.deepEqual([...seen].sort(), ['web1', 'web2']);
    assert.equal((await app.request('/api/v1/proxy/2/x', {}, local)).status, 404);
    const services = (await (await app.request('/api/v1/services', {}, local)).json()) as { services: Array<{ image_id: string }> };
    assert.ok(services.services.some((s) => s.image_id === '1'));
    assert.equal(((await (await app.request('/api/v1/services/1', {}, local)).json()) as { total_containers: number }).total_containers, 3);
    const ports = (await (await app.request('/api/v1/port-mappings', {}, local)).json()) as { port_mappings: Array<{ port: number; image_id: string }> };
    assert.deepEqual(ports.port_mappings.filter((p) => p.image_id === '1').map((p) => p.port).sort(), [web1.port, web2.port, api.port].sort());
    const stats = (await (await app.request('/api/v1/stats', {}, local)).json()) as { total_requests: number; services: Record<string, { total_requests: number }> };
    assert.equal(stats.services['1'].total_requests, 5);
    const round = (await (await app.request('/api/v1/health-check', { method: 'POST' }, local)).json()) as { services: Record<string, Record<string, { status: string }>> };
    assert.deepEqual(Object.values(round.services['1']).map((s) => s.status), ['healthy', 'healthy']);
    // Registering again replaces the list.
    const again = await app.request('/api/v1/services/1/register', json('POST', containers.slice(0, 1)), local);
    assert.equal(again.status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await served(app, '/api/v1/proxy/1/')).by, 'web1');
    const bad = await app.request('/api/v1/services/1/register', json('POST', [{ container_id: 'c', name: 'n', port: 70000, image_id: 2, colour: 1 }]), local);
    assert.equal(bad.status, 400);
    const errors = ((await bad.json()) as { errors: string[] }).errors;
    assert.ok(errors.some((e) => /^\[0\]\.port: must be an integer 1-65535, got 70000$/.test(e)), JSON.stringify(errors));
    assert.ok(errors.some((e) => /^\[0\]\.colour: unknown key$/.test(e)), JSON.stringify(errors));
  });

  it('the gateway is traffic, not administration: a POST through it needs no admin token', async () => {
    const { app } = make({ servers: [], admin: { token: 'a-long-admin-token' } });
    const auth = { authorization: 'Bearer a-long-admin-token' };
    const reg = await app.request('/api/v1/services/7/register', { ...json('POST', [{ container_id: 'c', name: 'n', port: web1.port, image_id: 7 }]), headers: { 'content-type': 'application/json', ...auth } }, { clientIp: '198.51.100.1' });
    assert.equal(reg.status, 201);
    const post = await app.request('/api/v1/proxy/7/orders', { method: 'POST', body: 'x' }, { clientIp: '198.51.100.1' });
    assert.equal(post.status, 200);
    assert.equal((await app.request('/api/v1/services/8/register', json('POST', []), { clientIp: '198.51.100.1' })).status, 401, 'registering is a write');
  });

  it('a server list stored by a version before services is carried over as the default service', async () => {
    const store = memoryStore();
    await store.put('backends', { version: 3, updated_at: 1, servers: [{ url: web2.url, weight: 1, backup: false }] });
    const { app } = make({ servers: [{ url: web1.url }] }, store);
    assert.equal((await served(app, '/x')).by, 'web2');
  });
});
