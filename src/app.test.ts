import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { after, before, beforeEach, describe, it } from 'node:test';
import { refusedPort, startBackend, type TestBackend } from '../test/fixtures/backends.ts';
import { testConfig } from '../test/fixtures/config.ts';
import { nodeHmac } from './runtime/hashes.ts';
import { createApp } from './app.ts';
import type { Config } from './config/types.ts';
import type { TestEnv as ConnEnv } from '../test/fixtures/app.ts';
import { undiciTransport } from './transport/undici.ts';
import { memoryStore } from './storage/memory.ts';
import type { StateStore } from './storage/types.ts';

const transport = undiciTransport();
const local: ConnEnv = { clientIp: '127.0.0.1' };

function make(config: Config, store?: StateStore) {
  return createApp({ config, store, transport, hmac: nodeHmac, clientIp: (c) => (c.env as ConnEnv).clientIp });
}

describe('proxy path against real backends', () => {
  let a: TestBackend, b: TestBackend, c: TestBackend;
  before(async () => {
    [a, b, c] = await Promise.all([startBackend('A'), startBackend('B'), startBackend('C')]);
  });
  after(async () => {
    await Promise.all([a.close(), b.close(), c.close()]);
  });
  beforeEach(() => {
    for (const x of [a, b, c]) {
      x.mode = 'ok';
      x.hits = { total: 0, byMethod: {}, paths: [] };
    }
  });

  it('round-robins over the servers and names each in X-Served-By', async () => {
    const { app } = make(testConfig([a.url, b.url, c.url]));
    const served: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await app.request('/echo', {}, local);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { handled_by: string };
      assert.equal(res.headers.get('x-served-by'), [a, b, c].find((x) => x.name === body.handled_by)!.id);
      served.push(body.handled_by);
    }
    assert.deepEqual(served, ['A', 'B', 'C', 'A', 'B', 'C']);
  });

  it('sets X-Forwarded-* and strips hop-by-hop headers both ways', async () => {
    const { app } = make(testConfig([a.url], { servedByHeader: '' }));
    const res = await app.request(
      'http://lb.example/echo?x=1',
      { headers: { 'x-forwarded-for': '203.0.113.9', connection: 'x-private', 'x-private': 'secret', 'x-keep': 'kept' } },
      { clientIp: '10.1.2.3' },
    );
    const body = (await res.json()) as { headers: Record<string, string>; query: string };
    assert.equal(body.headers['x-forwarded-for'], '203.0.113.9, 10.1.2.3');
    assert.equal(body.headers['x-forwarded-proto'], 'http');
    assert.equal(body.headers['x-forwarded-host'], 'lb.example');
    assert.equal(body.headers['x-private'], undefined);
    assert.equal(body.headers['x-keep'], 'kept');
    assert.equal(body.query, '?x=1');
    assert.equal(res.headers.get('x-served-by'), null, 'served-by header can be turned off');
    const hop = await app.request('/hop', {}, local);
    assert.equal(hop.headers.get('x-secret'), null);
    assert.equal(hop.headers.get('keep-alive'), null);
    assert.equal(hop.headers.get('x-visible'), 'yes');
  });

  it('returns redirects, keeps Set-Cookie headers apart, and sends no body for 204, 304 and HEAD', async () => {
    const { app } = make(testConfig([a.url]));
    const r = await app.request('/redirect', {}, local);
    assert.equal(r.status, 302);
    assert.equal(r.headers.get('location'), '/elsewhere');
    const k = await app.request('/cookies', {}, local);
    assert.deepEqual(k.headers.getSetCookie(), ['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
    for (const code of [204, 304]) {
      const res = await app.request(`/status?code=${code}`, {}, local);
      assert.equal(res.status, code);
      assert.equal(res.body, null);
    }
    const head = await app.request('/echo', { method: 'HEAD' }, local);
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });

  it('passes a gzip body byte for byte with its Content-Encoding', async () => {
    const { app } = make(testConfig([a.url]));
    const res = await app.request('/gzip', {}, local);
    assert.equal(res.headers.get('content-encoding'), 'gzip');
    const raw = Buffer.from(await res.arrayBuffer());
    assert.match(gunzipSync(raw).toString(), /hello from A/);
  });

  it('fails over a GET from a refused server, marks it down, and loses nothing', async () => {
    const dead = `http://127.0.0.1:${await refusedPort()}`;
    const { app } = make(testConfig([dead, a.url]));
    for (let i = 0; i < 4; i++) {
      const res = await app.request('/echo', {}, local);
      assert.equal(res.status, 200);
    }
    const stats = (await (await app.request('/api/stats', {}, local)).json()) as { servers: Record<string, { status: string; errors: number }> };
    const deadId = dead.slice(7);
    assert.equal(stats.servers[deadId].status, 'unhealthy');
    assert.equal(stats.servers[deadId].errors, 1, 'after the first refusal it is skipped');
  });

  it('a removed server forgets everything: added back, it is healthy with clean counters', async () => {
    const dead = `http://127.0.0.1:${await refusedPort()}`;
    const deadId = dead.slice(7);
    const { app } = make(testConfig([dead, a.url], { algorithm: 'first' }));
    assert.equal((await app.request('/echo', {}, local)).status, 200);
    type Stats = { servers: Record<string, { status: string; errors: number; requests: number }> };
    const stats = async () => (await (await app.request('/api/stats', {}, local)).json()) as Stats;
    assert.equal((await stats()).servers[deadId].status, 'unhealthy', 'the refusal marked it down');
    assert.equal((await app.request(`/api/servers/${deadId}`, { method: 'DELETE' }, local)).status, 200);
    const add = await app.request('/api/servers', { method: 'POST', body: JSON.stringify({ url: dead }) }, local);
    assert.equal(add.status, 201);
    const back = (await stats()).servers[deadId];
    assert.deepEqual([back.status, back.errors, back.requests], ['healthy', 0, 0]);
  });

  it('retries a POST only when it never reached a server', async () => {
    const dead = `http://127.0.0.1:${await refusedPort()}`;
    const { app } = make(testConfig([dead, a.url]));
    const res = await app.request('/echo', { method: 'POST', body: 'hello' }, local);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { body_bytes: number }).body_bytes, 5);
  });

  it('times out a hanging server: GET moves on, POST gets 504 after reaching exactly one server', async () => {
    a.mode = 'hang';
    const config = testConfig([a.url, b.url], { timeoutMs: 200, algorithm: 'first' });
    const get = await make(config).app.request('/echo', {}, local);
    assert.equal(get.status, 200);
    assert.equal(((await get.json()) as { handled_by: string }).handled_by, 'B');
    // A fresh balancer: in the first, the timeout already ejected A (passive health, max_fails 1).
    const post = await make(config).app.request('/echo', { method: 'POST', body: 'x' }, local);
    assert.equal(post.status, 504);
    assert.equal(post.headers.get('content-type'), 'application/problem+json');
    const problem = (await post.json()) as { title: string; attempts: unknown[] };
    assert.equal(problem.title, 'Upstream timeout');
    assert.equal(problem.attempts.length, 1);
    assert.equal(a.hits.byMethod.POST, 1);
    assert.equal(b.hits.byMethod.POST, undefined);
  });

  it('answers 503 problem+json when no server is available, at once', async () => {
    const dead = `http://127.0.0.1:${await refusedPort()}`;
    const { app } = make(testConfig([dead]));
    const first = await app.request('/x', {}, local);
    assert.equal(first.status, 502);
    const t0 = performance.now();
    const res = await app.request('/x', {}, local);
    assert.ok(performance.now() - t0 < 1000);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    const body = (await res.json()) as { title: string; detail: string };
    assert.equal(body.title, 'No server available');
    assert.match(body.detail, /1 unhealthy/);
  });

  it('streams a large upload that is not kept for replay', async () => {
    const { app } = make(testConfig([a.url], { replayBufferBytes: 1024 }));
    const size = 5 * 1024 * 1024;
    const res = await app.request('/echo', { method: 'PUT', body: new Uint8Array(size).fill(7), headers: { 'content-type': 'application/octet-stream' } }, local);
    assert.equal(((await res.json()) as { body_bytes: number }).body_bytes, size);
  });

  it('answers 400 problem+json, reaching no server, when the client breaks its own body', async () => {
    const { app } = make(testConfig([a.url]));
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (!sent) {
          sent = true;
          ctrl.enqueue(new Uint8Array(100));
        } else ctrl.error(new Error('aborted'));
      },
    });
    const res = await app.request('/echo', { method: 'POST', body, duplex: 'half' } as RequestInit, local);
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    assert.match(((await res.json()) as { detail: string }).detail, /request body could not be read/);
    assert.equal(a.hits.total, 0);
  });

  describe('sticky cookies are signed', () => {
    const sticky = { cookie: 'SY', ttlMs: 60_000, secure: false, sameSite: 'Lax' as const };
    const tokenOf = (secret: string, id: string) => Buffer.from(nodeHmac(secret, id).subarray(0, 12)).toString('base64url');
    const first = async (app: ReturnType<typeof make>['app']) => {
      const res = await app.request('/echo', {}, local);
      await res.arrayBuffer();
      return { server: res.headers.get('x-served-by')!, cookie: res.headers.getSetCookie().find((x) => x.startsWith('SY='))!.split(';')[0] };
    };

    it('with sticky.secret: the token is the HMAC of the server id under it', async () => {
      const secret = 'configured-secret-value';
      const { server, cookie } = await first(make(testConfig([a.url, b.url], { sticky: { ...sticky, secret } })).app);
      assert.equal(cookie.slice(3).split('.')[0], tokenOf(secret, server));
    });

    it('a forged token (right shape, no secret) is ignored and the cookie re-set', async () => {
      const { app } = make(testConfig([a.url, b.url, c.url], { sticky: { ...sticky, secret: 'configured-secret-value' } }));
      const forged = `SY=${tokenOf('a-guessed-secret!', b.id)}.0123456789abcdef.${Math.floor(Date.now() / 1000)}`;
      const served = new Set<string | null>();
      for (let i = 0; i < 3; i++) {
        const res = await app.request('/echo', { headers: { cookie: forged } }, local);
        await res.arrayBuffer();
        served.add(res.headers.get('x-served-by'));
        assert.match(res.headers.getSetCookie()[0] ?? '', /^SY=/, 'a fresh, signed cookie replaces it');
      }
      assert.equal(served.size, 3, 'round robin decides, not the forged cookie');
    });

    it('without a secret, instances sharing a store sign alike: the first writes the secret there once', async () => {
      const shared = { ...memoryStore(), shared: true };
      const one = make(testConfig([a.url, b.url, c.url], { sticky }), shared).app;
      const two = make(testConfig([a.url, b.url, c.url], { sticky }), shared).app;
      const { server, cookie } = await first(one);
      const secret = (await shared.get('secrets'))!.sticky;
      assert.equal(cookie.slice(3).split('.')[0], tokenOf(secret, server));
      for (let i = 0; i < 4; i++) {
        const res = await two.request('/echo', { headers: { cookie } }, local);
        await res.arrayBuffer();
        assert.equal(res.headers.get('x-served-by'), server, 'the other instance honours the cookie');
      }
      assert.equal((await shared.get('secrets'))!.sticky, secret, 'written once');
    });

    it('without a secret and a store of its own, each instance makes its own', async () => {
      const one = await first(make(testConfig([a.url, b.url], { sticky })).app);
      const two = await first(make(testConfig([a.url, b.url], { sticky })).app);
      assert.equal(one.server, two.server);
      assert.notEqual(one.cookie.split('.')[0], two.cookie.split('.')[0]);
    });
  });

  it('keeps a client on its server with a sticky cookie, and moves it when that server drains', async () => {
    const { app } = make(testConfig([a.url, b.url, c.url], { sticky: { cookie: 'SY', ttlMs: 60_000, secure: false, sameSite: 'Lax' } }));
    const first = await app.request('/echo', {}, local);
    const home = first.headers.get('x-served-by')!;
    const set = first.headers.getSetCookie().find((x) => x.startsWith('SY='))!;
    assert.match(set, /; Max-Age=60; HttpOnly; SameSite=Lax$/);
    const cookie = set.split(';')[0];
    for (let i = 0; i < 6; i++) {
      const res = await app.request('/echo', { headers: { cookie: `theme=dark; ${cookie}` } }, local);
      assert.equal(res.headers.get('x-served-by'), home, 'round robin would have moved it');
      assert.deepEqual(res.headers.getSetCookie(), [], 'a fresh cookie is not re-sent');
    }
    assert.notEqual((await app.request('/echo', {}, local)).headers.get('x-served-by'), home, 'without the cookie: round robin');
    const stats = (await (await app.request('/api/stats', {}, local)).json()) as { sessions: number; servers: Record<string, { sessions: number }> };
    assert.equal(stats.servers[home].sessions, 1);
    assert.equal(stats.sessions, 2);
    // Drained: the session moves, and the cookie says where.
    await app.request(`/api/servers/${home}`, { method: 'PATCH', body: '{"drain":true}' }, local);
    const moved = await app.request('/echo', { headers: { cookie } }, local);
    assert.notEqual(moved.headers.get('x-served-by'), home);
    const reset = moved.headers.getSetCookie().find((x) => x.startsWith('SY='))!;
    assert.equal(reset.split(';')[0].split('.')[1], cookie.split('.')[1], 'same session id, new server');
    assert.notEqual(reset.split(';')[0], cookie);
  });
});

describe('one normalised path, routed and forwarded', () => {
  let a: TestBackend;
  before(async () => {
    a = await startBackend('A');
  });
  after(async () => {
    await a.close();
  });
  beforeEach(() => {
    a.hits = { total: 0, byMethod: {}, paths: [] };
  });

  it('routes an admin path with repeated slashes to the admin API, never to a backend', async () => {
    const { app } = make(testConfig([a.url]));
    const add = await app.request('http://localhost//api//servers', { method: 'POST', body: JSON.stringify({ url: 'http://127.0.0.1:9' }) }, local);
    assert.equal(add.status, 201);
    const stats = await app.request('http://localhost//api/stats', {}, local);
    assert.equal(stats.status, 200);
    assert.equal(((await stats.json()) as { total_servers: number }).total_servers, 2);
    assert.equal(a.hits.total, 0);
  });

  it('forwards the path it routed by: slashes merged, dot segments resolved, the query as sent', async () => {
    const { app } = make(testConfig([a.url]));
    const res = await app.request('http://localhost//echo//x/./?q=//a/../b', {}, local);
    const body = (await res.json()) as { path: string; query: string };
    assert.deepEqual([body.path, body.query], ['/echo/x/', '?q=//a/../b']);
  });

  it('answers 400, reaching no server, for a path whose ".." climbs above the root', async () => {
    const { app } = make(testConfig([a.url]));
    // A Request built here has its URL parsed already (dots resolved at the root); a runtime's
    // server may hand the target on as sent, as Deno's does.
    const sent = { url: 'http://localhost/a/../../api/servers', method: 'GET', headers: new Headers() } as Request;
    const res = await app.fetch(sent, local);
    assert.equal(res.status, 400);
    const p = (await res.json()) as { detail: string; errors: string[] };
    assert.match(p.detail, /climbs above the root/);
    assert.deepEqual(p.errors, ['(path): "/a/../../api/servers"']);
    assert.equal(a.hits.total, 0);
  });

  it("proxies /stats like any path outside the admin prefix: the statistics are at /api/stats", async () => {
    const { app } = make(testConfig([a.url]));
    const res = await app.request('/stats', {}, local);
    assert.equal(((await res.json()) as { handled_by: string }).handled_by, 'A');
    assert.deepEqual(a.hits.paths, ['/stats']);
  });
});
