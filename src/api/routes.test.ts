import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBackend, type TestBackend } from '../../test/fixtures/backends.ts';
import { testConfig } from '../../test/fixtures/config.ts';
import { nodeHmac } from '../runtime/hashes.ts';
import { createApp } from '../app.ts';
import type { Config } from '../config/types.ts';
import type { TestEnv as ConnEnv } from '../../test/fixtures/app.ts';
import { undiciTransport } from '../transport/undici.ts';
import { VERSION } from '../version.ts';

const transport = undiciTransport();
const local: ConnEnv = { clientIp: '127.0.0.1' };
const remote: ConnEnv = { clientIp: '198.51.100.7' };
const json = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

function make(config: Config) {
  return createApp({ config, transport, hmac: nodeHmac, clientIp: (c) => (c.env as ConnEnv).clientIp }).app;
}

describe('admin API', () => {
  let a: TestBackend, b: TestBackend;
  before(async () => {
    [a, b] = await Promise.all([startBackend('A'), startBackend('B')]);
  });
  after(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it('GET /api/stats reports the seed fields per server', async () => {
    const app = make(testConfig([a.url, b.url]));
    for (let i = 0; i < 4; i++) await (await app.request('/x', {}, local)).arrayBuffer();
    const s = (await (await app.request('/api/stats', {}, local)).json()) as Record<string, any>;
    for (const k of ['total_requests', 'successful_requests', 'failed_requests', 'error_rate', 'requests_per_second', 'algorithm', 'uptime', 'servers']) {
      assert.ok(k in s, `missing ${k}`);
    }
    assert.equal(s.total_requests, 4);
    assert.equal(s.successful_requests, 4);
    assert.equal(s.algorithm, 'round_robin');
    const server = s.servers[a.id];
    assert.equal(server.requests, 2);
    assert.equal(server.status, 'healthy');
    assert.equal(server.url, a.url);
    for (const k of ['weight', 'active_connections', 'errors', 'avg_response_time_ms', 'p50_ms', 'p95_ms', 'p99_ms', 'last_error', 'last_check']) {
      assert.ok(k in server, `missing servers[].${k}`);
    }
    assert.ok(server.p99_ms >= server.p50_ms);
  });

  it('GET /api/health and /health', async () => {
    const app = make(testConfig([a.url]));
    const h = (await (await app.request('/api/health', {}, local)).json()) as Record<string, unknown>;
    assert.equal(h.status, 'healthy');
    assert.equal(h.version, VERSION);
    assert.equal(typeof h.uptime, 'number');
    const own = await app.request('/health', {}, local);
    assert.equal(own.status, 200);
    assert.deepEqual({ ...((await own.json()) as object), uptime: 0 }, { status: 'healthy', healthy_servers: 1, total_servers: 1, uptime: 0 });
  });

  it('POST /api/servers adds a server the next request can reach; DELETE removes it', async () => {
    const app = make(testConfig([a.url], { algorithm: 'first' }));
    const add = await app.request('/api/servers', json({ host: '127.0.0.1', port: b.port, weight: 3, backup: false }), local);
    assert.equal(add.status, 201);
    assert.equal(((await add.json()) as { server: { id: string; weight: number } }).server.weight, 3);
    const list = (await (await app.request('/api/servers', {}, local)).json()) as { servers: Array<{ id: string }> };
    assert.deepEqual(list.servers.map((s) => s.id), [a.id, b.id]);
    // Drain A: the next request goes to B.
    const drain = await app.request(`/api/servers/${a.id}`, { ...json({ drain: true }), method: 'PATCH' }, local);
    assert.equal(drain.status, 200);
    assert.equal(((await drain.json()) as { server: { status: string } }).server.status, 'draining');
    const res = await app.request('/x', {}, local);
    assert.equal(res.headers.get('x-served-by'), b.id);
    const del = await app.request(`/api/servers/${b.id}`, { method: 'DELETE' }, local);
    assert.equal(del.status, 200);
    const again = await app.request(`/api/servers/${b.id}`, { method: 'DELETE' }, local);
    assert.equal(again.status, 404);
    // Only A is left and it is draining: no server available.
    assert.equal((await app.request('/x', {}, local)).status, 503);
    // Each admin change is an event an operator can read; re-sending the same drain adds none.
    await app.request(`/api/servers/${a.id}`, { ...json({ drain: true, weight: 2 }), method: 'PATCH' }, local);
    const stats = (await (await app.request('/api/stats', {}, local)).json()) as { events: Array<{ server: string; from: string; to: string; reason: string }> };
    assert.deepEqual(
      stats.events.map((e) => [e.server, e.from, e.to, e.reason]),
      [
        [b.id, 'absent', 'added', 'added by admin (weight 3)'],
        [a.id, 'in rotation', 'draining', 'drained by admin'],
        [b.id, 'in rotation', 'removed', 'removed by admin'],
        [a.id, 'weight 1', 'weight 2', 'weight changed by admin'],
      ],
    );
  });

  it('rejects bad bodies with a 400 problem naming each field and value', async () => {
    const app = make(testConfig([a.url]));
    const cases: Array<[unknown, RegExp[]]> = [
      [{ host: '127.0.0.1', port: 70000, weight: -1 }, [/^port: .*65535.*, got 70000$/, /^weight: must be a positive number, got -1$/]],
      [{ host: '127.0.0.1', port: 9000, weight: -1 }, [/^weight: must be a positive number, got -1$/]],
      [{ host: '127.0.0.1', port: 9000, weight: 'x' }, [/^weight: must be a positive number, got "x"$/]],
      [{ url: 'ftp://x' }, [/^url: .*http.*, got "ftp:\/\/x"$/]],
      [{ host: '127.0.0.1', port: 9000, colour: 'red' }, [/colour/]],
      [{ host: '999.1.1.1', port: 9000 }, [/^host: must be a host name or IP address, got "999\.1\.1\.1"$/]],
      [{ host: 'a:b', port: 9000 }, [/^host: must be a host name or IP address, got "a:b"$/]],
      [{ host: '127.0.0.1', port: 0 }, [/^port: must be an integer 1-65535, got 0$/]],
      [{ url: 'http://127.0.0.1:0' }, [/^url: the port must be 1-65535, got "http:\/\/127\.0\.0\.1:0"$/]],
      [{ url: 'http://[/' }, [/^url: not a valid URL, got "http:\/\/\[\/"$/]],
      [{ host: '127.0.0.1', port: 9000, name: 'x'.repeat(201) }, [/^name: must be at most 200 characters/]],
      [{ url: a.url }, []],
    ];
    for (const [body, patterns] of cases) {
      const res = await app.request('/api/servers', json(body), local);
      if (!patterns.length) {
        assert.equal(res.status, 409, 'a duplicate server is a conflict');
        continue;
      }
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.headers.get('content-type'), 'application/problem+json');
      const problem = (await res.json()) as { errors: string[] };
      for (const p of patterns) assert.ok(problem.errors.some((e) => p.test(e)), `${JSON.stringify(body)} → ${JSON.stringify(problem.errors)}`);
      assert.equal(problem.errors.length, patterns.length, `exactly the bad fields: ${JSON.stringify(problem.errors)}`);
    }
    const bad = await app.request('/api/servers', { method: 'POST', body: '{"host":' }, local);
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { detail: string }).detail, /not valid JSON/);
    const patch = await app.request(`/api/servers/${a.id}`, { ...json({}), method: 'PATCH' }, local);
    assert.equal(patch.status, 400);
  });

  it('writes need the bearer token when one is set, and loopback when none is', async () => {
    const open = make(testConfig([a.url]));
    assert.equal((await open.request('/api/servers', json({ host: '127.0.0.1', port: 1 }), remote)).status, 403);
    assert.equal((await open.request('/api/stats', {}, remote)).status, 200, 'reads stay open');
    const locked = make(testConfig([a.url], { admin: { prefix: '/api', token: 's3cret', allowedHosts: [] } }));
    const body = json({ host: '127.0.0.1', port: b.port });
    assert.equal((await locked.request('/api/servers', body, local)).status, 401);
    const wrong = { ...body, headers: { ...body.headers, authorization: 'Bearer nope' } };
    assert.equal((await locked.request('/api/servers', wrong, local)).status, 401);
    const right = { ...body, headers: { ...body.headers, authorization: 'Bearer s3cret' } };
    assert.equal((await locked.request('/api/servers', right, remote)).status, 201);
  });

  it('refuses browser writes from another site (CSRF), even from loopback without a token', async () => {
    // lb.test is the balancer's own name here (admin.allowed_hosts), so only the Origin is foreign.
    const own = { prefix: '/api', allowedHosts: ['lb.test'] };
    const from = (origin: string, config = testConfig([a.url], { admin: own })) => {
      const req = json({ url: 'http://127.0.0.1:9' });
      return make(config).request('http://lb.test/api/servers', { ...req, headers: { ...req.headers, 'content-type': 'text/plain', origin } }, local);
    };
    const evil = await from('https://evil.example');
    assert.equal(evil.status, 403);
    assert.match(((await evil.json()) as { detail: string }).detail, /"https:\/\/evil\.example".*cors\.origins/);
    assert.equal((await from('null')).status, 403, 'an opaque origin is another site');
    assert.equal((await from('http://lb.test')).status, 201, 'the dashboard on the same origin writes');
    assert.equal((await from('https://ops.example.com', testConfig([a.url], { admin: own, corsOrigins: ['https://ops.example.com'] }))).status, 201);
    const cli = make(testConfig([a.url]));
    assert.equal((await cli.request('/api/servers', json({ url: 'http://127.0.0.1:9' }), local)).status, 201, 'no Origin: not a browser, allowed');
  });

  it('serves the admin API under a configured prefix and proxies /api otherwise', async () => {
    const app = make(testConfig([a.url], { admin: { prefix: '/_lb', allowedHosts: [] } }));
    assert.equal((await app.request('/_lb/stats', {}, local)).status, 200);
    const proxied = await app.request('/api/stats', {}, local);
    assert.equal(((await proxied.json()) as { handled_by: string }).handled_by, 'A');
  });
});
