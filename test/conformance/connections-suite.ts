/**
 * The client-connection conformance suite: what a balancer entry does with
 * slow, idle, surplus and malformed client connections, on every runtime, over
 * raw sockets (node:net) so the test decides every byte. The balancer runs
 * with small limits (header and idle timeouts of 1 s, 20 connections, a
 * 64 KiB body) in front of a scripted backend that records what reached it.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { scriptedServer, type ScriptedServer } from '../fixtures/scripted-http.ts';
import type { Running } from './harness.ts';
import type { Starter } from './suite.ts';

type Feature = 'headerTimeout' | 'idleTimeout' | 'maxConnections' | 'duplicateHost' | 'missingHost' | 'pipelining';

export interface ConnectionsOptions {
  /** Behaviours this runtime cannot show, with the reason (printed as the skip). */
  skip?: Partial<Record<Feature, string>>;
  /** Within how long a connection with half a request head must be closed (default 3 s: the 1 s limit and slack). */
  headerCloseWithinMs?: number;
  /** Within how long an idle keep-alive connection must be closed (default 3 s: the 1 s limit and slack). */
  idleCloseWithinMs?: number;
  /** Extra config keys for this runtime (e.g. `storage`). */
  config?: Record<string, unknown>;
}

const MAX_BODY = 64 * 1024;
const MAX_CONNECTIONS = 20;
const SLOW_MS = 5000;

/** A raw client connection: what arrived, and when it closed. */
interface RawClient {
  socket: Socket;
  /** Everything received so far (latin1). */
  received(): string;
  /** Resolves once `received()` holds `n` response status lines, or the connection closed. */
  responses(n: number): Promise<string[]>;
  /** Resolves once `received()` matches `pattern`, or the connection closed. */
  receives(pattern: RegExp): Promise<string>;
  /** Resolves with the time (performance.now()) the connection closed. */
  closed: Promise<number>;
}

function open(port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    const waiters = new Set<() => void>();
    const closed = new Promise<number>((r) => socket.once('close', () => r(performance.now())));
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      for (const w of waiters) w();
    });
    socket.on('close', () => {
      for (const w of waiters) w();
    });
    // A write racing the balancer's close is expected in these tests.
    socket.on('error', () => {});
    // Status lines wherever they start (a body need not end with a newline); no body here holds one.
    const statusLines = () => got.match(/HTTP\/1\.[01] \d{3}(?= )/g) ?? [];
    const when = <T>(done: () => boolean, value: () => T) =>
      new Promise<T>((r) => {
        const check = () => {
          if (done() || socket.destroyed || socket.readableEnded) {
            waiters.delete(check);
            r(value());
          }
        };
        waiters.add(check);
        check();
      });
    const client: RawClient = {
      socket,
      received: () => got,
      responses: (n) => when(() => statusLines().length >= n, statusLines),
      receives: (pattern) => when(() => pattern.test(got), () => got),
      closed,
    };
    socket.once('connect', () => resolve(client));
    socket.once('error', reject);
  });
}

/** Sends `text` on a fresh connection; resolves with the status lines of the answers once `n` arrived or it closed. */
async function exchange(port: number, text: string | Uint8Array, n = 1): Promise<string[]> {
  const c = await open(port);
  c.socket.write(text);
  const lines = await c.responses(n);
  c.socket.destroy();
  return lines;
}

/** Resolves with how long `what` took, or rejects once `limitMs` has passed. */
async function within<T>(what: string, limitMs: number, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${limitMs} ms`)), limitMs)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

const chunk = (size: number) => `${size.toString(16)}\r\n${'x'.repeat(size)}\r\n`;

export function runConnectionsConformance(name: string, start: Starter, options: ConnectionsOptions = {}): void {
  const skip = options.skip ?? {};
  describe(`connections conformance: ${name}`, { timeout: 120_000 }, () => {
    let backend: ScriptedServer;
    let lb: Running;

    before(async () => {
      // Answers each request once its body is complete; /slow after SLOW_MS.
      backend = await scriptedServer(async (req, conn) => {
        if (req.target.startsWith('/slow')) await new Promise((r) => setTimeout(r, SLOW_MS));
        const body = `got ${req.body.length} bytes for ${req.target}\n`;
        await conn.respond(200, 'OK', [['content-type', 'text/plain'], ['content-length', body.length]], body);
      });
      lb = await start({
        load_balancer: { host: '127.0.0.1', port: 0, header_timeout: 1, idle_timeout: 1, max_connections: MAX_CONNECTIONS, max_body: MAX_BODY },
        servers: [{ url: backend.origin }],
        health_check: { enabled: false },
        replay_buffer: '16KiB',
        timeout: 10,
        retries: 0,
        admin: { token: 'conformance-token' },
        log_level: 'warn',
        ...options.config,
      });
    });
    after(async () => {
      await lb?.stop('SIGKILL');
      await backend?.close();
    });

    it('closes a connection that sends half a request head, after header_timeout', { skip: skip.headerTimeout }, async () => {
      const c = await open(lb.port);
      const t0 = performance.now();
      c.socket.write('GET /half HTTP/1.1\r\nHost: x\r\n');
      const t1 = await within('closed', options.headerCloseWithinMs ?? 3000, c.closed);
      assert.ok(t1 - t0 >= 900, `closed after ${Math.round(t1 - t0)} ms, before the 1 s header_timeout`);
      assert.doesNotMatch(c.received(), /^HTTP\/1\.[01] 2/, 'no request was served');
    });

    it('closes an idle keep-alive connection after idle_timeout, not a request waiting on a slow backend', { skip: skip.idleTimeout }, async () => {
      const c = await open(lb.port);
      c.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
      // The request outlives idle_timeout (several times over) while it waits: it must still be answered.
      assert.deepEqual(await c.responses(1), ['HTTP/1.1 200']);
      const answered = performance.now();
      assert.match(await c.receives(/got 0 bytes for \/slow\n/), /got 0 bytes for \/slow\n/);
      const t1 = await within('idle connection closed', options.idleCloseWithinMs ?? 3000, c.closed);
      assert.ok(t1 - answered >= 900, `closed ${Math.round(t1 - answered)} ms after the answer, before the 1 s idle_timeout`);
    });

    it('refuses connections past max_connections while the open ones keep working', { skip: skip.maxConnections }, async () => {
      const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => open(lb.port)));
      try {
        // Each is busy (a request in flight), so no timeout closes it.
        for (const [i, c] of held.entries()) c.socket.write(`GET /slow?held=${i} HTTP/1.1\r\nHost: x\r\n\r\n`);
        await within('held requests reached the backend', 4000, backend.until(() => held.every((_, i) => backend.requests.some((r) => r.target === `/slow?held=${i}`))));
        const extra = await open(lb.port).catch(() => null);
        if (extra) {
          extra.socket.write('GET /extra HTTP/1.1\r\nHost: x\r\n\r\n');
          assert.deepEqual(await within('the extra connection closed', 3000, extra.responses(1)), [], 'no answer on a connection past the limit');
          await extra.closed;
        }
        assert.ok(!backend.requests.some((r) => r.target === '/extra'), 'the extra request never reached a backend');
        const answers = await within('held requests answered', SLOW_MS + 4000, Promise.all(held.map((c) => c.responses(1))));
        assert.deepEqual(answers.flat(), held.map(() => 'HTTP/1.1 200'));
      } finally {
        for (const c of held) c.socket.destroy();
        await Promise.all(held.map((c) => c.closed));
      }
      // Room again once they are gone (the balancer may see the closes a moment later).
      for (let attempt = 0; ; attempt++) {
        const lines = await exchange(lb.port, 'GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
        if (lines[0] === 'HTTP/1.1 200') break;
        assert.ok(attempt < 20, 'a new connection is served after the others closed');
        await new Promise((r) => setImmediate(r));
      }
    });

    it('answers 413 at once to a Content-Length over max_body, no server contacted', async () => {
      const c = await open(lb.port);
      c.socket.write(`POST /too-big HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${MAX_BODY + 1}\r\n\r\n`);
      c.socket.write('x'.repeat(1024));
      assert.deepEqual(await within('answered', 3000, c.responses(1)), ['HTTP/1.1 413']);
      const text = await c.receives(/\}$/);
      c.socket.destroy();
      assert.match(text, /content-type: application\/problem\+json/i);
      assert.match(text, /"max_body":65536/);
      assert.ok(!backend.requests.some((r) => r.target === '/too-big'), 'no request reached the backend');
    });

    it('passes a chunked body within max_body whole, and cuts one over it with 413 before the backend has it all', async () => {
      const fits = 'POST /chunked-fits HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' + chunk(16 * 1024).repeat(3) + '0\r\n\r\n';
      assert.deepEqual(await exchange(lb.port, fits), ['HTTP/1.1 200']);
      assert.equal(backend.requests.find((r) => r.target === '/chunked-fits')?.body.length, 48 * 1024);

      const c = await open(lb.port);
      c.socket.write('POST /chunked-big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
      // 8 KiB chunks until the answer comes (at most four times max_body).
      for (let sent = 0; sent < 4 * MAX_BODY && !c.received() && !c.socket.destroyed; sent += 8192) {
        if (!c.socket.write(chunk(8192))) await new Promise((r) => c.socket.once('drain', r).once('close', r));
      }
      assert.deepEqual(await within('answered', 5000, c.responses(1)), ['HTTP/1.1 413']);
      assert.match(await c.receives(/\}$/), /urn:switchyard:problem:body-too-large/);
      c.socket.destroy();
      const got = backend.requests.filter((r) => r.target === '/chunked-big');
      assert.ok(got.every((r) => !r.complete && r.body.length <= MAX_BODY), `the backend never had the whole body (${got.map((r) => r.body.length).join(', ')} bytes)`);
    });

    it('answers a request with two Host headers with 400', { skip: skip.duplicateHost }, async () => {
      assert.deepEqual(await exchange(lb.port, 'GET /two-hosts HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n'), ['HTTP/1.1 400']);
      assert.ok(!backend.requests.some((r) => r.target === '/two-hosts'), 'no request reached the backend');
    });

    it('answers an HTTP/1.1 request without Host with 400, and serves one on HTTP/1.0', { skip: skip.missingHost }, async () => {
      assert.deepEqual(await exchange(lb.port, 'GET /no-host HTTP/1.1\r\nConnection: close\r\n\r\n'), ['HTTP/1.1 400']);
      assert.ok(!backend.requests.some((r) => r.target === '/no-host'), 'no request reached the backend');
      assert.match((await exchange(lb.port, 'GET /no-host-1.0 HTTP/1.0\r\n\r\n'))[0] ?? '', /^HTTP\/1\.[01] 200/);
    });

    it('answers both of two requests sent in one write (pipelined), in order', { skip: skip.pipelining }, async () => {
      const c = await open(lb.port);
      c.socket.write('GET /pipe-1 HTTP/1.1\r\nHost: x\r\n\r\nGET /pipe-2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.deepEqual(await within('both answered', 5000, c.responses(2)), ['HTTP/1.1 200', 'HTTP/1.1 200']);
      const text = await c.receives(/\/pipe-2\n/);
      c.socket.destroy();
      assert.ok(text.indexOf('/pipe-1') < text.indexOf('/pipe-2'), 'answered in order');
    });
  });
}
