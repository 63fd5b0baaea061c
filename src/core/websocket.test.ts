/** WebSocket upgrades through the core, in process: the runtime's upgrader replaced by a scripted one (no sockets). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBackend, type TestBackend } from '../../test/fixtures/backends.ts';
import type { TestEnv } from '../../test/fixtures/app.ts';
import { createApp } from '../app.ts';
import { validateConfig } from '../config/validate.ts';
import { nodeHmac } from '../runtime/hashes.ts';
import { undiciTransport } from '../transport/undici.ts';
import { UpstreamError } from './types.ts';
import { handshakeProblem, wantsWebSocket, type WebSocketTarget, type WebSocketUpgrader } from './websocket.ts';
import { drainCloseAfterMs } from './websocket-sockets.ts';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const upgradeHeaders = (extra: Record<string, string> = {}) => ({ host: 'lb.test', connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': KEY, 'sec-websocket-version': '13', ...extra });

describe('which requests are WebSocket upgrades', () => {
  const table: Array<[Record<string, string>, boolean]> = [
    [{ upgrade: 'websocket' }, true],
    [{ upgrade: 'WebSocket' }, true],
    [{ upgrade: 'foo, websocket' }, true],
    [{ upgrade: 'h2c' }, false],
    [{ upgrade: 'websockets' }, false],
    [{}, false],
  ];
  for (const [h, want] of table) it(JSON.stringify(h), () => assert.equal(wantsWebSocket(new Headers(h)), want));
});

describe('handshakeProblem', () => {
  const table: Array<[string, Record<string, string>, RegExp | null]> = [
    ['GET', upgradeHeaders(), null],
    ['GET', upgradeHeaders({ connection: 'keep-alive, Upgrade' }), null],
    ['POST', upgradeHeaders(), /^method/],
    ['GET', upgradeHeaders({ connection: 'keep-alive' }), /^connection/],
    ['GET', upgradeHeaders({ 'sec-websocket-key': 'short' }), /^sec-websocket-key/],
    ['GET', upgradeHeaders({ 'sec-websocket-version': '8' }), /^sec-websocket-version: "8"/],
  ];
  for (const [method, h, want] of table) {
    it(`${method} ${JSON.stringify(h)}`, () => {
      const p = handshakeProblem(method, new Headers(h));
      if (want === null) assert.equal(p, null);
      else assert.match(p ?? '', want);
    });
  }
  it('sec-websocket-key missing', () => {
    const h = new Headers(upgradeHeaders());
    h.delete('sec-websocket-key');
    assert.match(handshakeProblem('GET', h) ?? '', /sec-websocket-key: null/);
  });
});

describe('drainCloseAfterMs', () => {
  const table: Array<[number, number, number, number]> = [
    [60_000, 10_000, 0, 60_000],
    [60_000, 10_000, 0.5, 65_000],
    [60_000, 10_000, 0.9999, 69_999],
    [0, 0, 0.7, 0],
  ];
  for (const [timeout, spread, random, want] of table) it(`${timeout} + ${spread} at ${random}`, () => assert.equal(drainCloseAfterMs({ drainTimeoutMs: timeout, drainSpreadMs: spread }, random), want));
});

/** A scripted upgrader: each call is answered by `script` (open, a backend's answer, or a failure) and recorded. */
function scripted() {
  const calls: WebSocketTarget[] = [];
  const open: Array<{ target: WebSocketTarget; closed: Promise<number>; end(): void }> = [];
  let script: (t: WebSocketTarget) => 'open' | Response | Error = () => 'open';
  const upgrader: WebSocketUpgrader = async (_req, target) => {
    calls.push(target);
    const what = script(target);
    if (what instanceof Error) throw what;
    if (what instanceof Response) return what;
    let closedWith!: (code: number) => void;
    const closed = new Promise<number>((r) => (closedWith = r));
    const entry = { target, closed, end: () => target.session.closed() };
    target.session.opened({ close: (code) => (closedWith(code), target.session.closed()) });
    open.push(entry);
    return new Response(null, { status: 200, headers: { 'x-test-upgraded': '1' } });
  };
  return { calls, open, upgrader, set: (s: typeof script) => (script = s) };
}

describe('WebSocket upgrades through the core', () => {
  let web1: TestBackend, web2: TestBackend;
  before(async () => {
    [web1, web2] = await Promise.all([startBackend('web1'), startBackend('web2')]);
  });
  after(async () => {
    await Promise.all([web1.close(), web2.close()]);
  });

  function make(raw: Record<string, unknown>) {
    const r = validateConfig({ health_check: { enabled: false }, timeout: 1, log_level: 'silent', access_log: 'off', admin: { prefix: '/_lb' }, ...raw }, () => 'test');
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const s = scripted();
    const { app } = createApp({ config: r.config, transport: undiciTransport(), hmac: nodeHmac, clientIp: (c) => (c.env as TestEnv).clientIp, upgrade: () => s.upgrader });
    const env: TestEnv = { clientIp: '10.0.0.7' };
    const upgrade = (path: string, headers: Record<string, string> = {}) => app.request(`http://lb.test${path}`, { headers: upgradeHeaders(headers) }, env);
    const stats = async () => (await (await app.request('http://127.0.0.1/_lb/stats', {}, { clientIp: '127.0.0.1' })).json()) as { services: Record<string, { servers: Record<string, { open_websockets: number; active_connections: number }> }> };
    const patch = (path: string, body: unknown) => app.request(`http://127.0.0.1/_lb${path}`, { method: path.includes('DELETE') ? 'DELETE' : 'PATCH', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }, { clientIp: '127.0.0.1' });
    return { app, s, upgrade, stats, patch, env };
  }

  it('hands the runtime the server, its ws URL (route prefix stripped) and filtered headers', async () => {
    const { s, upgrade } = make({ services: { chat: { servers: [{ url: web1.url }] } }, routes: [{ name: 'chat', match: { path_prefix: '/chat' }, service: 'chat', strip_prefix: true }] });
    const res = await upgrade('/chat/room?x=1', { 'sec-websocket-protocol': 'a, b', 'x-forwarded-for': '1.2.3.4', 'keep-alive': '5' });
    assert.equal(res.headers.get('x-test-upgraded'), '1');
    const t = s.calls[0];
    assert.equal(t.url, `ws://127.0.0.1:${web1.port}/room?x=1`);
    assert.deepEqual(t.protocols, ['a', 'b']);
    assert.equal(t.headers.get('connection'), 'Upgrade');
    assert.equal(t.headers.get('upgrade'), 'websocket');
    assert.equal(t.headers.get('sec-websocket-key'), KEY);
    assert.equal(t.headers.get('x-forwarded-for'), '1.2.3.4, 10.0.0.7');
    assert.equal(t.headers.get('x-forwarded-host'), 'lb.test');
    assert.equal(t.headers.get('host'), null);
    assert.equal(t.headers.get('keep-alive'), null);
  });

  it('tries the next server when one cannot be reached; none reachable: 502 naming the attempts', async () => {
    const { s, upgrade } = make({ servers: [{ url: web1.url }, { url: web2.url }] });
    s.set((t) => (t.backend.port === web1.port ? new UpstreamError('connect', 'refused') : 'open'));
    const ok = await upgrade('/a');
    assert.equal(ok.headers.get('x-test-upgraded'), '1');
    assert.equal(s.open.length, 1);
    assert.equal(s.open[0].target.backend.port, web2.port);
    s.set(() => new UpstreamError('connect', 'refused'));
    const bad = await upgrade('/b');
    assert.equal(bad.status, 502);
    assert.equal(((await bad.json()) as { attempts: unknown[] }).attempts.length, 2);
  });

  it("passes the backend's own answer on, and counts nothing open", async () => {
    const { s, upgrade, stats } = make({ servers: [{ url: web1.url }] });
    s.set(() => new Response('no', { status: 403 }));
    assert.equal((await upgrade('/x')).status, 403);
    const srv = (await stats()).services.default.servers[web1.id];
    assert.deepEqual([srv.open_websockets, srv.active_connections], [0, 0]);
  });

  it('an open socket counts in active_connections and open_websockets until it closes', async () => {
    const { s, upgrade, stats } = make({ servers: [{ url: web1.url }] });
    await upgrade('/x');
    await upgrade('/y');
    let srv = (await stats()).services.default.servers[web1.id];
    assert.deepEqual([srv.open_websockets, srv.active_connections], [2, 2]);
    s.open[0].end();
    s.open[0].end();
    srv = (await stats()).services.default.servers[web1.id];
    assert.deepEqual([srv.open_websockets, srv.active_connections], [1, 1], 'a second close of one socket counts once');
  });

  it('a concurrency cap holds its place while the socket is open', async () => {
    const { s, upgrade } = make({ servers: [{ url: web1.url }], max_concurrent: 1 });
    assert.equal((await upgrade('/x')).headers.get('x-test-upgraded'), '1');
    const refused = await upgrade('/y');
    assert.notEqual(refused.headers.get('x-test-upgraded'), '1');
    assert.ok(refused.status >= 400, String(refused.status));
    assert.equal(s.calls.length, 1);
    s.open[0].end();
    assert.equal((await upgrade('/z')).headers.get('x-test-upgraded'), '1');
  });

  it('a drained server gets no new sockets; its open ones close with 1001; a weight change closes none', async () => {
    const { s, upgrade, patch } = make({ servers: [{ url: web1.url }, { url: web2.url }], websocket: { drain_timeout: 0.02, drain_spread: 0.02 } });
    await upgrade('/a');
    await upgrade('/b');
    const on1 = s.open.find((o) => o.target.backend.port === web1.port)!;
    const on2 = s.open.find((o) => o.target.backend.port === web2.port)!;
    assert.equal((await patch(`/servers/${web2.id}`, { weight: 3 })).status, 200);
    assert.equal((await patch(`/servers/${web1.id}`, { drain: true })).status, 200);
    for (let i = 0; i < 3; i++) await upgrade(`/c${i}`);
    assert.ok(s.calls.slice(2).every((t) => t.backend.port === web2.port), 'new sockets avoid the drained server');
    assert.equal(await on1.closed, 1001);
    const still = await Promise.race([on2.closed.then(() => 'closed'), new Promise((r) => setTimeout(r, 100, 'open'))]);
    assert.equal(still, 'open');
  });

  it("a removed server's sockets close like a drain", async () => {
    const { s, upgrade, app } = make({ servers: [{ url: web1.url }], websocket: { drain_timeout: 0.02, drain_spread: 0 } });
    await upgrade('/a');
    const del = await app.request(`http://127.0.0.1/_lb/servers/${web1.id}`, { method: 'DELETE' }, { clientIp: '127.0.0.1' });
    assert.ok(del.ok, String(del.status));
    assert.equal(await s.open[0].closed, 1001);
  });

  it('a bad handshake gets 400 naming the header; an Upgrade other than websocket is proxied plain', async () => {
    const { s, app, env } = make({ servers: [{ url: web1.url }] });
    const bad = await app.request('http://lb.test/x', { headers: upgradeHeaders({ 'sec-websocket-version': '7' }) }, env);
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('sec-websocket-version'), '13');
    assert.match(JSON.stringify(await bad.json()), /sec-websocket-version: \\"7\\"/);
    const h2c = await app.request('http://lb.test/h2c', { headers: { connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c', 'http2-settings': 'AAMAAABkAAQCAAAAAAIAAAAA' } }, env);
    assert.equal(h2c.status, 200);
    await h2c.text();
    assert.equal(s.calls.length, 0);
  });
});
