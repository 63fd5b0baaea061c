/**
 * The WebSocket conformance suite, on every runtime entry, with a real
 * client and real servers (the `ws` package) on 127.0.0.1: messages both
 * ways, ping/pong, close codes, subprotocols, a 1 MiB message, 1,000 sockets
 * at once with the balancer's memory sampled, drain (1001 within
 * drain_timeout + drain_spread), a backend killed mid-conversation (1011),
 * sticky sessions and least_connections at upgrade time, `open_websockets`
 * in `/api/stats`, idle and message-size limits, and upgrades that are not
 * WebSockets (h2c, bogus) getting no tunnel.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { startWsBackend, type WsBackend } from '../fixtures/ws-backend.ts';
import { waitFor } from '../fixtures/wait.ts';
import type { Running } from './harness.ts';
import type { Starter } from './suite.ts';

const TOKEN = 'conformance-ws-token';
const PREFIX = '/_lb';

/** What a runtime cannot show, with the reason (printed as the skip). */
export type WebSocketSkips = Partial<Record<'deflateEndToEnd' | 'maxMessage' | 'openCount' | 'drain' | 'idle' | 'leastConnections' | 'memory' | 'backendKilled', string>>;

export interface WebSocketSuiteOptions {
  skip?: WebSocketSkips;
  config?: Record<string, unknown>;
  /** Why this runtime serves no WebSockets: then only that an upgrade gets 501 and non-WebSocket upgrades are plain requests is checked. */
  unsupported?: string;
  /** What a backend's 403 to the upgrade reaches the client as (default: the 403 itself), and why. */
  refusedUpgrade?: { status: number; why: string };
}

interface Client {
  ws: WebSocket;
  /** The next message (text as string, binary as Buffer). */
  next(): Promise<string | Buffer>;
  closed: Promise<{ code: number; reason: string; at: number }>;
}

function open(url: string, options: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers, perMessageDeflate: true, maxPayload: 64 * 1024 * 1024 });
    const queue: Array<string | Buffer> = [];
    const waiting: Array<(m: string | Buffer) => void> = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const m = isBinary ? data : data.toString();
      const w = waiting.shift();
      if (w) w(m);
      else queue.push(m);
    });
    const closed = new Promise<{ code: number; reason: string; at: number }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString(), at: performance.now() })));
    ws.once('open', () => resolve({ ws, next: () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => waiting.push(r))), closed }));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`unexpected response ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

/** The balancer's resident memory (with its children: `deno task` runs the server as one), from /proc. */
function rssBytes(pid: number): number {
  let total = 0;
  const visit = (p: number) => {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      total += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
      for (const t of readdirSync(`/proc/${p}/task`)) {
        const kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim();
        for (const k of kids ? kids.split(/\s+/) : []) visit(Number(k));
      }
    } catch {
      // Gone meanwhile.
    }
  };
  visit(pid);
  return total;
}

/** Sends a raw HTTP/1.1 request and returns the whole answer (the connection is closed after it). */
function raw(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(head));
    let out = '';
    s.setEncoding('latin1');
    s.on('data', (d) => {
      out += d;
      // A whole answer with a length: done (a runtime may keep the connection open).
      const m = /\r\ncontent-length: (\d+)\r\n/i.exec(out);
      const end = out.indexOf('\r\n\r\n');
      if (m && end >= 0 && out.length >= end + 4 + Number(m[1])) s.destroy();
      if (end >= 0 && /\r\ntransfer-encoding: chunked\r\n/i.test(out.slice(0, end + 2)) && out.endsWith('0\r\n\r\n')) s.destroy();
    });
    s.on('close', () => resolve(out));
    s.on('error', reject);
    s.setTimeout(10_000, () => s.destroy());
  });
}

export function runWebSocketConformance(name: string, start: Starter, options: WebSocketSuiteOptions = {}): void {
  if (options.unsupported) return runUnsupported(name, start, options.unsupported);
  const skip = options.skip ?? {};
  describe(`WebSocket conformance: ${name}`, { timeout: 240_000 }, () => {
    const names = ['e1', 'l1', 'l2', 's1', 's2', 'd1', 'd2', 'k1'] as const;
    const b = {} as Record<(typeof names)[number], WsBackend>;
    let lb: Running;
    let ws: string;
    const admin = async (path: string, method = 'GET', body?: unknown) => {
      const res = await fetch(`${lb.url}${PREFIX}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
      return res.json() as Promise<Record<string, any>>;
    };
    const servers = async (svc: string) => ((await admin('/stats')).services[svc].servers) as Record<string, { open_websockets: number; active_connections: number }>;

    before(async () => {
      for (const n of names) b[n] = await startWsBackend(n);
      const one = (x: WsBackend) => ({ url: x.url });
      lb = await start({
        load_balancer: { host: '127.0.0.1', port: 0 },
        admin: { prefix: PREFIX, token: TOKEN },
        health_check: { enabled: false },
        servers: [one(b.e1)],
        services: {
          lc: { servers: [one(b.l1), one(b.l2)], algorithm: 'least_connections' },
          sticky: { servers: [one(b.s1), one(b.s2)], sticky: { cookie: 'SY', secret: 'conformance-sticky-secret-ws' } },
          drain: { servers: [one(b.d1), one(b.d2)], websocket: { drain_timeout: 1, drain_spread: 1 } },
          kill: { servers: [one(b.k1)] },
          idle: { servers: [one(b.e1)], websocket: { idle_timeout: 1 } },
          small: { servers: [one(b.e1)], websocket: { max_message_bytes: 1024 } },
        },
        routes: [
          { name: 'lc', match: { path_prefix: '/lc' }, service: 'lc' },
          { name: 'sticky', match: { path_prefix: '/sticky' }, service: 'sticky' },
          { name: 'drain', match: { path_prefix: '/drain' }, service: 'drain' },
          { name: 'kill', match: { path_prefix: '/kill' }, service: 'kill' },
          { name: 'idle', match: { path_prefix: '/idle' }, service: 'idle' },
          { name: 'small', match: { path_prefix: '/small' }, service: 'small' },
        ],
        ...options.config,
      });
      ws = lb.url.replace(/^http/, 'ws');
    });
    after(async () => {
      await lb?.stop('SIGKILL');
      await Promise.all(Object.values(b).map((x) => x.close()));
    });

    it('passes text and binary both ways, answers pings, and tells the backend who the client is', async () => {
      const c = await open(`${ws}/chat?room=1`);
      c.ws.send('hello');
      assert.equal(await c.next(), 'hello');
      const bytes = Buffer.from([0, 1, 2, 250, 255]);
      c.ws.send(bytes);
      assert.deepEqual(await c.next(), bytes);
      const pong = new Promise<Buffer>((r) => c.ws.once('pong', r));
      c.ws.ping('are-you-there');
      assert.equal((await pong).toString(), 'are-you-there');
      c.ws.send('whoami');
      const who = JSON.parse(String(await c.next())) as { server: string; path: string; headers: Record<string, string> };
      assert.equal(who.server, 'e1');
      assert.equal(who.path, '/chat?room=1');
      assert.equal(who.headers['x-forwarded-for'], '127.0.0.1');
      assert.equal(who.headers['x-forwarded-proto'], 'http');
      c.ws.close(1000);
      assert.equal((await c.closed).code, 1000);
    });

    it('negotiates Sec-WebSocket-Protocol with the backend (the client offers, the backend chooses)', async () => {
      const c = await open(`${ws}/p`, { protocols: ['chat.v1', 'chat.v2'] });
      assert.equal(c.ws.protocol, 'chat.v2');
      c.ws.close();
      await c.closed;
    });

    it('negotiates permessage-deflate end to end', { skip: skip.deflateEndToEnd }, async () => {
      const c = await open(`${ws}/z`);
      assert.match(c.ws.extensions, /permessage-deflate/);
      c.ws.send('x'.repeat(10_000));
      assert.equal(await c.next(), 'x'.repeat(10_000));
      c.ws.close();
      await c.closed;
    });

    it('passes close codes through: the client\'s to the backend, the backend\'s to the client', async () => {
      const c = await open(`${ws}/c`);
      c.ws.send('close:4002');
      const closed = await c.closed;
      assert.equal(closed.code, 4002);
      assert.equal(closed.reason, 'bye from e1');
      const before = b.e1.closes.length;
      const d = await open(`${ws}/c`);
      d.ws.close(4001, 'from client');
      await d.closed;
      await waitFor('the backend saw the close', async () => b.e1.closes.slice(before), (x) => x.includes(4001));
    });

    it('passes a 1 MiB message both ways intact', async () => {
      const c = await open(`${ws}/big`);
      const big = Buffer.alloc(1024 * 1024);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
      c.ws.send(big);
      const back = (await c.next()) as Buffer;
      assert.equal(back.length, big.length);
      assert.ok(back.equals(big));
      c.ws.close();
      await c.closed;
    });

    it('holds 1,000 sockets at once within bounded memory, and counts them in open_websockets', async (t) => {
      const pid = skip.memory ? undefined : lb.child?.pid;
      if (skip.memory) t.diagnostic(`memory not sampled: ${skip.memory}`);
      const rss0 = pid ? rssBytes(pid) : 0;
      const clients: Client[] = [];
      for (let i = 0; i < 1000; i += 100) clients.push(...(await Promise.all(Array.from({ length: 100 }, () => open(`${ws}/many`)))));
      await Promise.all(clients.map(async (c, i) => {
        c.ws.send(`m${i}`);
        assert.equal(await c.next(), `m${i}`);
      }));
      if (!skip.openCount) await waitFor('1000 open', () => servers('default'), (s) => s[b.e1.id].open_websockets === 1000);
      const rss1 = pid ? rssBytes(pid) : 0;
      for (const c of clients) c.ws.close();
      await Promise.all(clients.map((c) => c.closed));
      if (!skip.openCount) await waitFor('none open', () => servers('default'), (s) => s[b.e1.id].open_websockets === 0 && s[b.e1.id].active_connections === 0);
      if (pid) {
        const grown = rss1 - rss0;
        t.diagnostic(`balancer RSS ${Math.round(rss0 / 1048576)} MiB → ${Math.round(rss1 / 1048576)} MiB with 1,000 sockets open`);
        // 1,000 sockets, two connections each: under 64 KiB a socket (permessage-deflate's zlib state alone would be ~200 KiB).
        assert.ok(grown < 64 * 1024 * 1024, `memory grew ${Math.round(grown / 1048576)} MiB for 1,000 sockets`);
      }
    });

    it('shows open_websockets per server while a socket is open', { skip: skip.openCount }, async () => {
      const c = await open(`${ws}/count`);
      const s = await waitFor('one open', () => servers('default'), (x) => x[b.e1.id].open_websockets === 1);
      assert.ok(s[b.e1.id].active_connections >= 1, 'an open socket counts as an active connection');
      const metrics = await (await fetch(`${lb.url}${PREFIX}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
      assert.match(metrics, new RegExp(`switchyard_open_websockets\\{service="default",server="${b.e1.id.replace(/\./g, '\\.')}"\\} 1`));
      c.ws.close();
      await c.closed;
      await waitFor('none open', () => servers('default'), (x) => x[b.e1.id].open_websockets === 0);
    });

    it('spreads sockets by least_connections: open sockets count as load', { skip: skip.leastConnections }, async () => {
      const l1 = b.l1.opened;
      const l2 = b.l2.opened;
      const held: Client[] = [];
      for (let i = 0; i < 6; i++) held.push(await open(`${ws}/lc/${i}`));
      assert.deepEqual([b.l1.opened - l1, b.l2.opened - l2], [3, 3]);
      // A change that keeps the server (its weight) leaves its sockets open.
      await admin(`/services/lc/servers/${b.l1.id}`, 'PATCH', { weight: 2 });
      for (const c of held) {
        c.ws.send('still');
        assert.equal(await c.next(), 'still');
      }
      for (const c of held) c.ws.close();
      await Promise.all(held.map((c) => c.closed));
    });

    it('honours the sticky session at upgrade time', async () => {
      const res = await fetch(`${lb.url}/sticky/page`);
      const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
      assert.match(cookie, /^SY=/);
      await res.text();
      const seen = new Set<string>();
      for (let i = 0; i < 4; i++) {
        const c = await open(`${ws}/sticky/live`, { headers: { cookie } });
        c.ws.send('whoami');
        seen.add((JSON.parse(String(await c.next())) as { server: string }).server);
        c.ws.close();
        await c.closed;
      }
      assert.equal(seen.size, 1, `one server for the session, got ${[...seen]}`);
      const page = (await (await fetch(`${lb.url}/sticky/page`, { headers: { cookie } })).json()) as { server: string };
      assert.deepEqual([...seen], [page.server]);
    });

    it('drain: no new sockets on the drained server; its open ones close with 1001 within drain_timeout + drain_spread', { skip: skip.drain }, async () => {
      const held: Client[] = [];
      for (let i = 0; i < 4; i++) held.push(await open(`${ws}/drain/x`));
      const onD1 = b.d1.open();
      assert.ok(onD1 >= 1, 'round robin put some on d1');
      const t0 = performance.now();
      await admin(`/services/drain/servers/${b.d1.id}`, 'PATCH', { drain: true });
      const opened = b.d1.opened;
      const fresh = await open(`${ws}/drain/y`);
      fresh.ws.send('whoami');
      assert.equal((JSON.parse(String(await fresh.next())) as { server: string }).server, 'd2');
      assert.equal(b.d1.opened, opened, 'no new socket on the drained server');
      const closes = await Promise.race([
        Promise.all(held.map(async (c) => {
          c.ws.send('whoami');
          return { server: (JSON.parse(String(await c.next())) as { server: string }).server, c };
        })).then((xs) => Promise.all(xs.filter((x) => x.server === 'd1').map((x) => x.c.closed))),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('drained sockets still open after 10 s')), 10_000)),
      ]);
      assert.equal(closes.length, onD1);
      for (const c of closes) {
        assert.equal(c.code, 1001);
        // drain_timeout 1 s + drain_spread 1 s, and room for a loaded machine.
        assert.ok(c.at - t0 >= 900 && c.at - t0 < 2000 + 3000, `closed after ${Math.round(c.at - t0)} ms`);
      }
      assert.equal(fresh.ws.readyState, WebSocket.OPEN, 'sockets of other servers stay open');
      for (const c of [...held, fresh]) c.ws.close();
      await admin(`/services/drain/servers/${b.d1.id}`, 'PATCH', { drain: false });
    });

    it('a backend killed mid-conversation closes its clients with 1011', { skip: skip.backendKilled }, async () => {
      const c = await open(`${ws}/kill/x`);
      c.ws.send('before');
      assert.equal(await c.next(), 'before');
      await b.k1.kill();
      assert.equal((await c.closed).code, 1011);
    });

    it('closes a socket idle for websocket.idle_timeout with 1001', { skip: skip.idle }, async () => {
      const c = await open(`${ws}/idle/x`);
      c.ws.send('once');
      assert.equal(await c.next(), 'once');
      const closed = await c.closed;
      assert.equal(closed.code, 1001);
    });

    it('closes a socket whose message is over websocket.max_message_bytes with 1009', { skip: skip.maxMessage }, async () => {
      const c = await open(`${ws}/small/x`);
      c.ws.send('x'.repeat(100));
      assert.equal(await c.next(), 'x'.repeat(100));
      c.ws.send('x'.repeat(2048));
      assert.equal((await c.closed).code, 1009);
    });

    it(`answers an upgrade the backend refuses (403) with ${options.refusedUpgrade ? `${options.refusedUpgrade.status}: ${options.refusedUpgrade.why}` : 'its answer'}`, async () => {
      const status = options.refusedUpgrade?.status ?? 403;
      await assert.rejects(open(`${ws}/refuse`), (e: Error & { status?: number }) => e.status === status);
    });

    it('gives no tunnel to Upgrade: h2c or a bogus upgrade (plain request), and 400 to a WebSocket without its key', async () => {
      const h2c = await raw(lb.port, 'GET /h2c HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n');
      assert.match(h2c, /^HTTP\/1\.1 200 /);
      assert.match(h2c, /"path":"\/h2c"/);
      assert.doesNotMatch(h2c, /^HTTP\/1\.1 101/m);
      const foo = await raw(lb.port, 'GET /foo HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n');
      assert.match(foo, /^HTTP\/1\.1 200 /);
      assert.match(foo, /"path":"\/foo"/);
      const nokey = await raw(lb.port, 'GET /nokey HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n');
      assert.match(nokey, /^HTTP\/1\.1 400 /);
      assert.match(nokey, /sec-websocket-key/);
    });
  });
}

/** A runtime that serves no WebSockets: an upgrade gets 501 problem+json (no server is tried), h2c stays a plain request. */
function runUnsupported(name: string, start: Starter, why: string): void {
  describe(`WebSocket conformance: ${name} (serves none: ${why})`, { timeout: 60_000 }, () => {
    let backend: WsBackend;
    let lb: Running;
    before(async () => {
      backend = await startWsBackend('e1');
      lb = await start({ load_balancer: { host: '127.0.0.1', port: 0 }, health_check: { enabled: false }, servers: [{ url: backend.url }] });
    });
    after(async () => {
      await lb?.stop('SIGKILL');
      await backend?.close();
    });
    it('answers an upgrade 501 problem+json, reaching no server', async () => {
      await assert.rejects(open(`${lb.url.replace(/^http/, 'ws')}/x`), (e: Error & { status?: number }) => e.status === 501);
      assert.equal(backend.opened, 0);
    });
    it('serves Upgrade: h2c as a plain request', async () => {
      const h2c = await raw(lb.port, 'GET /h2c HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n');
      assert.match(h2c, /^HTTP\/1\.1 200 /);
    });
  });
}
