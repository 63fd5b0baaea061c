/**
 * The contract every Transport passes, against scripted HTTP servers on
 * 127.0.0.1 (test/fixtures/scripted-http.ts: raw sockets, so each case decides
 * every byte and how the connection ends). Written on `node:test` and
 * `node:assert` only, so the same cases run under Node, `bun test` and
 * `deno test` (test/transport/runtimes.test.ts runs them in Bun and Deno).
 *
 * Errors while a body is read (the connection cut after the head) are covered
 * only as far as the core needs them: the body must fail, never end cleanly
 * short. They need not be `UpstreamError`s. Once `send` has resolved the
 * attempt is settled: the head may already be on its way to the client, so
 * nothing is retried and no error kind changes what happens next. Classifying
 * them would mean wrapping every streamed body in one more JS stream, the
 * per-chunk cost the proxy avoids. The fetch transport hands the runtime's
 * body on as it is, so its body errors are the runtime's own (Node's
 * `TypeError: terminated`, Deno's `error reading a body from connection`, …).
 * Small declared-length bodies (up to 64 KiB or the transport's limit) are
 * the exception: every transport reads them inside `send`, so a cut there
 * rejects `send` with `reset`, and an abort with what any abort gives.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { closedPort, patterned, scriptedServer, type Conn, type ReceivedRequest, type Script, type ScriptedServer } from '../../test/fixtures/scripted-http.ts';
import { UpstreamError, type Backend, type UpstreamErrorKind } from '../core/types.ts';
import type { OutboundRequest, Transport, UpstreamResponse } from './types.ts';
import { WHOLE_BODY_LIMIT_BYTES } from './whole-body.ts';

export interface TransportExpectations {
  /** What the transport says in `decodesBodies`, and so what the gzip cases check. */
  decodesBodies: boolean;
  /**
   * `as-sent`: `statusText` is the reason phrase the server wrote. `canonical`:
   * the runtime replaces it with the standard phrase for the status (Deno's
   * fetch), or `''` for a status that has none.
   */
  statusText: 'as-sent' | 'canonical';
  /** Bodies of declared length up to this many bytes arrive as bytes (default 64 KiB, transport/whole-body.ts). */
  wholeBodyLimitBytes?: number;
  /** Cases this transport cannot pass, with the reason (a runtime bug, not the transport's). */
  skip?: Partial<Record<TransportCase, string>>;
}

/** Failure timeout for anything awaited: a case that hangs fails with a name rather than stalling the run. */
const LIMIT_MS = 4_000;

function within<T>(p: Promise<T>, what: string, ms = LIMIT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function backendAt(origin: string, basePath = ''): Backend {
  const u = new URL(origin);
  const id = `${u.hostname}:${u.port}`;
  return { id, url: origin + basePath, host: u.hostname, port: Number(u.port), name: id, weight: 1, backup: false, maxConns: 0 };
}

function outbound(method: string, path: string, headers: HeadersInit = {}, body: BodyInit | null = null): OutboundRequest {
  return { method, path, headers: new Headers(headers), body };
}

const never = () => new AbortController().signal;

async function readAll(body: UpstreamResponse['body']): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  if (body instanceof Uint8Array) return body;
  const chunks: Uint8Array[] = [];
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const header = (r: ReceivedRequest, name: string) => r.headers.filter(([n]) => n === name).map(([, v]) => v);

/** Asserts `p` rejects with an UpstreamError of one of `kinds`; returns it. */
async function rejectsWith(p: Promise<unknown>, kinds: UpstreamErrorKind[], what: string): Promise<UpstreamError> {
  let error: unknown;
  try {
    const got = await within(p, what);
    assert.fail(`${what}: resolved (status ${(got as UpstreamResponse).status}) instead of rejecting`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    error = e;
  }
  assert.ok(error instanceof UpstreamError, `${what}: rejected with ${String(error)} (${(error as Error)?.name}), not an UpstreamError`);
  assert.ok(kinds.includes(error.kind), `${what}: kind ${error.kind}, expected ${kinds.join(' or ')} (${error.message})`);
  return error;
}

/** A server running `script`, a fresh transport, `fn`; then both are closed (server first: it cuts open connections). */
async function withServer(make: () => Transport, script: Script, fn: (s: ScriptedServer, t: Transport) => Promise<void>, options: { onHead?: boolean } = {}): Promise<void> {
  const server = await scriptedServer(script, options);
  const transport = make();
  try {
    await fn(server, transport);
  } finally {
    await server.close();
    await within(transport.close?.() ?? Promise.resolve(), 'transport.close()');
  }
}

/** A promise and its resolver: a server script waits on it until the test says go. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

const CANONICAL: Record<number, string> = { 404: 'Not Found', 503: 'Service Unavailable', 299: '' };

const MIB = 1024 * 1024;
const PLAIN = 'switchyard passes bodies untouched. '.repeat(64);
const ENCODED: Record<string, Uint8Array> = {
  gzip: new Uint8Array(gzipSync(PLAIN)),
  br: new Uint8Array(brotliCompressSync(PLAIN)),
  deflate: new Uint8Array(deflateSync(PLAIN)),
};

type Case = (make: () => Transport, exp: TransportExpectations) => Promise<void>;

/** The cases, by name. A name is what a runtime's test reporter shows (and what the cross-runtime parent matches). */
const CASES = {
  'declares decodesBodies as expected': async (make, exp) => {
    const t = make();
    try {
      assert.equal(t.decodesBodies, exp.decodesBodies);
    } finally {
      await t.close?.();
    }
  },

  'passes status, status text and headers, keeping each Set-Cookie apart': (make, exp) =>
    withServer(
      make,
      (req, c) =>
        c.respond(404, 'Nowhere Here', [
          ['Content-Type', 'text/plain'],
          ['Set-Cookie', 'a=1; Path=/'],
          ['Set-Cookie', 'b=2; Path=/; HttpOnly'],
          ['Set-Cookie', 'c=3; Expires=Wed, 21 Oct 2037 07:28:00 GMT'],
          ['X-Multi', 'one'],
          ['X-Multi', 'two'],
          ['X-Case', 'Value With Case'],
          ['Content-Length', 4],
        ], 'nope'),
      async (s, t) => {
        const res = await within(t.send(outbound('GET', '/missing'), backendAt(s.origin), never()), 'send');
        assert.equal(res.status, 404);
        assert.equal(res.statusText, exp.statusText === 'as-sent' ? 'Nowhere Here' : CANONICAL[404]);
        assert.deepEqual(res.headers.getSetCookie(), ['a=1; Path=/', 'b=2; Path=/; HttpOnly', 'c=3; Expires=Wed, 21 Oct 2037 07:28:00 GMT']);
        assert.equal(res.headers.get('x-multi'), 'one, two');
        assert.equal(res.headers.get('x-case'), 'Value With Case');
        assert.equal(res.headers.get('content-type'), 'text/plain');
        assert.equal(text(await readAll(res.body)), 'nope');
        assert.equal(s.requests.length, 1);
      },
    ),

  'returns a 5xx as a response, sent once': (make, exp) =>
    withServer(
      make,
      (req, c) => c.respond(503, 'Service Unavailable', [['Retry-After', 1], ['Content-Length', 4]], 'busy'),
      async (s, t) => {
        const res = await within(t.send(outbound('POST', '/write', { 'content-type': 'text/plain' }, 'data'), backendAt(s.origin), never()), 'send');
        assert.equal(res.status, 503);
        assert.equal(res.statusText, exp.statusText === 'as-sent' ? 'Service Unavailable' : CANONICAL[503]);
        assert.equal(res.headers.get('retry-after'), '1');
        assert.equal(text(await readAll(res.body)), 'busy');
        assert.equal(s.requests.length, 1);
      },
    ),

  'passes a status with no standard reason phrase': (make, exp) =>
    withServer(
      make,
      (req, c) => c.respond(299, 'Own Words', [['Content-Length', 0]]),
      async (s, t) => {
        const res = await within(t.send(outbound('GET', '/'), backendAt(s.origin), never()), 'send');
        assert.equal(res.status, 299);
        assert.equal(res.statusText, exp.statusText === 'as-sent' ? 'Own Words' : CANONICAL[299]);
      },
    ),

  'returns redirects as they are, following none': (make) =>
    withServer(
      make,
      (req, c) => {
        const code = Number(req.target.split('/')[2]);
        if (req.target.startsWith('/to/')) return c.respond(code, 'Redirect', [['Location', `http://127.0.0.1:${c.socket.localPort}/landed`], ['Content-Length', 0]]);
        return c.respond(200, 'OK', [['Content-Length', 6]], 'landed');
      },
      async (s, t) => {
        for (const code of [301, 302, 303, 307, 308]) {
          const before = s.requests.length;
          const res = await within(t.send(outbound('GET', `/to/${code}`), backendAt(s.origin), never()), `send ${code}`);
          assert.equal(res.status, code);
          assert.equal(res.headers.get('location'), `${s.origin}/landed`);
          await readAll(res.body);
          assert.deepEqual(s.requests.slice(before).map((r) => r.target), [`/to/${code}`], `${code}: only the first request reached the server`);
        }
      },
    ),

  'sends method, path, query, headers and body as given; Host names the backend': (make) =>
    withServer(
      make,
      (req, c) => c.respond(200, 'OK', [['Content-Length', 2]], 'ok'),
      async (s, t) => {
        const path = '/p/a%20b/%E2%9C%93;v=1?q=1&r=a%2Fb&empty=&plus=x+y';
        const bytes = patterned(3000);
        const table: Array<[string, BodyInit | null, Uint8Array]> = [
          ['GET', null, new Uint8Array(0)],
          ['DELETE', null, new Uint8Array(0)],
          ['OPTIONS', null, new Uint8Array(0)],
          ['POST', bytes, bytes],
          ['PUT', 'a text body', new TextEncoder().encode('a text body')],
          ['PATCH', bytes, bytes],
        ];
        for (const [method, body, expected] of table) {
          const headers = new Headers({ 'x-custom': 'Some Value', accept: 'application/json', authorization: 'Bearer t0ken' });
          headers.append('x-list', 'a');
          headers.append('x-list', 'b');
          if (body) headers.set('content-type', 'application/octet-stream');
          if (body instanceof Uint8Array) headers.set('content-length', String(body.byteLength));
          const before = s.requests.length;
          const res = await within(t.send(outbound(method, path, headers, body), backendAt(s.origin), never()), `send ${method}`);
          assert.equal(res.status, 200, method);
          await readAll(res.body);
          assert.equal(s.requests.length, before + 1, `${method}: one request reached the server`);
          const got = s.requests[before];
          assert.equal(got.method, method);
          assert.equal(got.target, path, `${method}: path and query byte for byte`);
          assert.deepEqual(header(got, 'host'), [`127.0.0.1:${s.port}`], method);
          assert.deepEqual(header(got, 'x-custom'), ['Some Value'], method);
          assert.deepEqual(header(got, 'authorization'), ['Bearer t0ken'], method);
          assert.deepEqual(header(got, 'accept'), ['application/json'], method);
          assert.equal(header(got, 'x-list').join(', '), 'a, b', method);
          assert.ok(got.complete, `${method}: the body arrived whole`);
          assert.deepEqual(got.body, expected, `${method}: body bytes`);
        }
      },
    ),

  'streams a request body: the server has its first bytes before the body ends': (make) =>
    withServer(
      make,
      (req, c) => c.respond(200, 'OK', [['Content-Length', 2]], 'ok'),
      async (s, t) => {
        // Without and with a declared length (the core forwards the client's Content-Length with a streamed body).
        for (const declared of [false, true]) {
          const before = s.requests.length;
          const chunk = 64 * 1024;
          const total = 4 * chunk;
          const whole = patterned(total);
          let sent = 0;
          // Each chunk after the first waits until the server has received the one before: a transport that reads the whole body before sending never finishes.
          const body = new ReadableStream<Uint8Array>({
            async pull(ctrl) {
              if (sent > 0) await within(s.until(() => (s.requests[before]?.body.length ?? 0) >= sent), `server received ${sent} bytes before the body ended`);
              if (sent >= total) return ctrl.close();
              ctrl.enqueue(whole.slice(sent, sent + chunk));
              sent += chunk;
            },
          });
          const headers = new Headers({ 'content-type': 'application/octet-stream' });
          if (declared) headers.set('content-length', String(total));
          const res = await within(t.send(outbound('POST', '/upload', headers, body), backendAt(s.origin), never()), 'send');
          assert.equal(res.status, 200);
          await readAll(res.body);
          assert.equal(s.requests.length, before + 1);
          const got = s.requests[before];
          assert.ok(got.complete, 'the body arrived whole');
          assert.equal(got.body.length, total);
          assert.deepEqual(got.body, whole, `declared length ${declared}: bytes in order`);
        }
      },
    ),

  'a small body may arrive as bytes, and reads back exactly': (make) =>
    withServer(
      make,
      (req, c) => (req.target === '/empty' ? c.respond(200, 'OK', [['Content-Length', 0]]) : c.respond(200, 'OK', [['Content-Length', 5000]], patterned(5000))),
      async (s, t) => {
        const res = await within(t.send(outbound('GET', '/small'), backendAt(s.origin), never()), 'send');
        assert.ok(res.body instanceof Uint8Array || res.body instanceof ReadableStream, 'bytes or a stream');
        assert.deepEqual(await within(readAll(res.body), 'read'), patterned(5000));
        const empty = await within(t.send(outbound('GET', '/empty'), backendAt(s.origin), never()), 'send');
        assert.equal((await readAll(empty.body)).length, 0);
      },
    ),

  // Read inside send, a small body spares the core a stream per response (the request leaves
  // flight when send resolves); that read is still the attempt's: cut, it rejects send.
  'a body of declared length up to its limit arrives whole as bytes; one byte more streams': (make, exp) =>
    withServer(
      make,
      (req, c) => {
        const n = Number(req.target.slice(1));
        return c.respond(200, 'OK', [['Content-Type', 'application/octet-stream'], ['Content-Length', n]], patterned(n));
      },
      async (s, t) => {
        const limit = exp.wholeBodyLimitBytes ?? WHOLE_BODY_LIMIT_BYTES;
        for (const n of [1, Math.min(5000, limit), limit]) {
          const res = await within(t.send(outbound('GET', `/${n}`), backendAt(s.origin), never()), `send ${n}`);
          assert.ok(res.body instanceof Uint8Array, `${n} bytes: read whole, not ${Object.prototype.toString.call(res.body)}`);
          assert.deepEqual(res.body, patterned(n), `${n} bytes: exactly`);
        }
        const res = await within(t.send(outbound('GET', `/${limit + 1}`), backendAt(s.origin), never()), 'send limit + 1');
        assert.ok(res.body instanceof ReadableStream, `${limit + 1} bytes: a stream`);
        assert.deepEqual(await within(readAll(res.body), 'read'), patterned(limit + 1));
      },
    ),

  'a small body cut or abandoned while send reads it rejects send: reset, timeout, or cancelled': async (make, exp) => {
    const declared = exp.wholeBodyLimitBytes ?? WHOLE_BODY_LIMIT_BYTES;
    const conns = new Map<string, Conn>();
    const sent = new Map<string, ReturnType<typeof gate>>();
    await withServer(
      make,
      async (req, c) => {
        conns.set(req.target, c);
        await c.respond(200, 'OK', [['Content-Length', declared]], patterned(1000));
        if (req.target === '/rst') c.reset();
        else if (req.target === '/fin') c.close();
        else sent.get(req.target)!.open(); // the rest never comes: only the abort ends it
      },
      async (s, t) => {
        for (const path of ['/rst', '/fin']) {
          const e = await rejectsWith(t.send(outbound('GET', path), backendAt(s.origin), never()), ['reset'], `cut ${path}`);
          assert.match(e.message, new RegExp(`^reset: 127\\.0\\.0\\.1:${s.port} `), path);
        }
        const table: Array<[string, unknown, UpstreamErrorKind[]]> = [
          ['/timeout', new DOMException('no response within 1 ms', 'TimeoutError'), ['timeout']],
          ['/client-gone', new Error('client went away'), ['reset', 'protocol']],
        ];
        for (const [path, reason, kinds] of table) {
          sent.set(path, gate());
          const controller = new AbortController();
          void sent.get(path)!.wait.then(() => controller.abort(reason));
          await rejectsWith(t.send(outbound('GET', path), backendAt(s.origin), controller.signal), kinds, `aborted ${path}`);
          await within(conns.get(path)!.closed, `${path}: the upstream connection closes`);
        }
      },
    );
  },

  'a large body streams: send resolves with the head, before the body is all sent': async (make) => {
    const go = gate();
    await withServer(
      make,
      async (req, c) => {
        await c.respond(200, 'OK', [['Content-Type', 'application/octet-stream'], ['Content-Length', MIB]], patterned(64 * 1024));
        await go.wait;
        for (let at = 64 * 1024; at < MIB; at += 64 * 1024) await c.write(patterned(64 * 1024, at));
      },
      async (s, t) => {
        const res = await within(t.send(outbound('GET', '/large'), backendAt(s.origin), never()), 'send resolves while the server holds back the rest');
        assert.ok(res.body instanceof ReadableStream, 'a large body is a stream');
        go.open();
        const got = await within(readAll(res.body), 'read');
        assert.equal(got.length, MIB);
        assert.deepEqual(got, patterned(MIB));
      },
    );
  },

  'a chunked body of unknown length streams: send resolves before its last chunk': async (make) => {
    const go = gate();
    await withServer(
      make,
      async (req, c) => {
        await c.write('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nfirst\n\r\n');
        await go.wait;
        await c.write('6\r\nlast.\n\r\n0\r\n\r\n');
      },
      async (s, t) => {
        const res = await within(t.send(outbound('GET', '/events'), backendAt(s.origin), never()), 'send resolves while the server holds back the rest');
        assert.ok(res.body instanceof ReadableStream, 'a body of unknown length is a stream');
        go.open();
        assert.equal(text(await within(readAll(res.body), 'read')), 'first\nlast.\n');
      },
    );
  },

  'HEAD, 204 and 304 have no body': (make) =>
    withServer(
      make,
      (req, c) => {
        if (req.method === 'HEAD') return c.respond(200, 'OK', [['Content-Type', 'text/plain'], ['Content-Length', 11]]);
        if (req.target === '/204') return c.respond(204, 'No Content', [['X-Done', 'yes']]);
        return c.respond(304, 'Not Modified', [['ETag', '"v1"']]);
      },
      async (s, t) => {
        const head = await within(t.send(outbound('HEAD', '/file'), backendAt(s.origin), never()), 'HEAD');
        assert.equal(head.status, 200);
        assert.equal(head.body, null, 'HEAD: no body');
        assert.equal(head.headers.get('content-length'), '11', 'HEAD keeps the length it would have had');
        const none = await within(t.send(outbound('DELETE', '/204'), backendAt(s.origin), never()), '204');
        assert.equal(none.status, 204);
        assert.equal(none.body, null, '204: no body');
        assert.equal(none.headers.get('x-done'), 'yes');
        const same = await within(t.send(outbound('GET', '/304', { 'if-none-match': '"v1"' }), backendAt(s.origin), never()), '304');
        assert.equal(same.status, 304);
        assert.equal(same.body, null, '304: no body');
        assert.equal(same.headers.get('etag'), '"v1"');
        assert.equal(s.requests.length, 3);
      },
    ),

  // When decodesBodies is true the runtime decodes gzip and br but leaves
  // Content-Encoding and Content-Length as the server sent them, describing
  // the encoded bytes: the core drops both (downstreamHeaders). So only the
  // body is checked there.
  'gzip and br bodies arrive as decodesBodies says: byte for byte, or decoded': (make, exp) =>
    withServer(
      make,
      (req, c) => {
        const coding = req.target.slice(1);
        return c.respond(200, 'OK', [['Content-Type', 'text/plain'], ['Content-Encoding', coding], ['Content-Length', ENCODED[coding].length]], ENCODED[coding]);
      },
      async (s, t) => {
        for (const coding of ['gzip', 'br']) {
          const res = await within(t.send(outbound('GET', `/${coding}`, { 'accept-encoding': coding }), backendAt(s.origin), never()), coding);
          const body = await within(readAll(res.body), 'read');
          if (exp.decodesBodies) assert.equal(text(body), PLAIN, `${coding}: decoded`);
          else {
            assert.deepEqual(body, ENCODED[coding], `${coding}: the encoded bytes, untouched`);
            assert.equal(res.headers.get('content-encoding'), coding);
            assert.equal(res.headers.get('content-length'), String(ENCODED[coding].length));
          }
        }
      },
    ),

  // The server picks the first coding the request lists that it has. A
  // decoding transport must not let it pick one the runtime passes on still
  // encoded (deflate on Deno and workerd, zstd on most): the core would drop
  // its Content-Encoding and hand the client bytes it cannot read.
  'whatever the client accepts, the body arrives as decodesBodies says': (make, exp) =>
    withServer(
      make,
      (req, c) => {
        const accepted = header(req, 'accept-encoding').join(',').split(',').map((v) => v.split(';')[0].trim().toLowerCase());
        const coding = accepted.find((a) => a in ENCODED);
        if (!coding) return c.respond(200, 'OK', [['Content-Type', 'text/plain'], ['Content-Length', PLAIN.length]], PLAIN);
        return c.respond(200, 'OK', [['Content-Type', 'text/plain'], ['Content-Encoding', coding], ['Content-Length', ENCODED[coding].length]], ENCODED[coding]);
      },
      async (s, t) => {
        for (const accept of ['zstd, deflate, br, gzip', 'deflate;q=1.0, gzip;q=0.5', 'deflate', '*']) {
          const before = s.requests.length;
          const res = await within(t.send(outbound('GET', '/negotiated', { 'accept-encoding': accept }), backendAt(s.origin), never()), accept);
          const body = await within(readAll(res.body), 'read');
          const sent = header(s.requests[before], 'accept-encoding').join(', ');
          if (exp.decodesBodies) assert.equal(text(body), PLAIN, `Accept-Encoding: ${accept} (the server saw "${sent}", answered ${res.headers.get('content-encoding') ?? 'identity'}): decoded`);
          else {
            assert.equal(sent, accept, 'Accept-Encoding reaches the server untouched');
            const coding = res.headers.get('content-encoding');
            assert.deepEqual(body, coding ? ENCODED[coding] : new TextEncoder().encode(PLAIN), `${accept}: byte for byte`);
          }
        }
      },
    ),

  'keeps the backend base path': (make) =>
    withServer(
      make,
      (req, c) => c.respond(200, 'OK', [['Content-Length', 0]]),
      async (s, t) => {
        for (const [path, target] of [['/x/y?z=1', '/base/x/y?z=1'], ['/', '/base/'], ['/?q', '/base/?q']]) {
          const before = s.requests.length;
          const res = await within(t.send(outbound('GET', path), backendAt(s.origin, '/base'), never()), path);
          await readAll(res.body);
          assert.equal(s.requests[before]?.target, target);
        }
      },
    ),

  'a refused connection is connect': async (make) => {
    const port = await closedPort();
    const t = make();
    try {
      await rejectsWith(t.send(outbound('POST', '/x', {}, 'body'), backendAt(`http://127.0.0.1:${port}`), never()), ['connect'], 'refused');
    } finally {
      await t.close?.();
    }
  },

  'a connection reset or closed before the response is reset, not connect': (make) =>
    withServer(
      make,
      (req, c) => (req.target.startsWith('/rst') ? c.reset() : c.close()),
      async (s, t) => {
        for (const method of ['GET', 'POST']) {
          for (const how of ['/rst', '/fin']) {
            await rejectsWith(t.send(outbound(method, how, {}, method === 'POST' ? 'body' : null), backendAt(s.origin), never()), ['reset'], `${method} ${how}`);
          }
        }
      },
    ),

  'a request whose connection is cut before the response reaches the server once': (make) =>
    withServer(
      make,
      (req, c) => (req.target.startsWith('/rst') ? c.reset() : c.close()),
      async (s, t) => {
        for (const method of ['GET', 'POST']) {
          for (const how of ['/rst', '/fin']) {
            const before = s.requests.length;
            await t.send(outbound(method, how, {}, method === 'POST' ? 'body' : null), backendAt(s.origin), never()).catch(() => {});
            assert.equal(s.requests.length - before, 1, `${method} ${how}: requests that reached the server`);
          }
        }
      },
    ),

  'a TimeoutError abort is timeout': (make) =>
    withServer(
      make,
      () => {}, // never answers
      async (s, t) => {
        // As the core's attempt() does: its own controller, aborted with a TimeoutError once the request is out.
        const controller = new AbortController();
        void s.until(() => s.requests.length === 1).then(() => controller.abort(new DOMException('no response within 1 ms', 'TimeoutError')));
        await rejectsWith(t.send(outbound('GET', '/slow'), backendAt(s.origin), controller.signal), ['timeout'], 'aborted after the request was out');
        // The runtime's own timer signal.
        await rejectsWith(t.send(outbound('GET', '/slow'), backendAt(s.origin), AbortSignal.timeout(50)), ['timeout'], 'AbortSignal.timeout');
        // Already timed out when send is called.
        const gone = new AbortController();
        gone.abort(new DOMException('timed out', 'TimeoutError'));
        await rejectsWith(t.send(outbound('GET', '/slow'), backendAt(s.origin), gone.signal), ['timeout'], 'aborted before send');
        assert.equal(s.requests.length, 2, 'one request per send that started (none for the pre-aborted one)');
      },
      { onHead: true },
    ),

  'another abort rejects with an UpstreamError that is neither timeout nor connect': (make) =>
    withServer(
      make,
      () => {},
      async (s, t) => {
        for (const reason of [undefined, new Error('client went away')]) {
          const before = s.requests.length;
          const controller = new AbortController();
          void s.until(() => s.requests.length > before).then(() => controller.abort(reason));
          await rejectsWith(t.send(outbound('GET', '/slow'), backendAt(s.origin), controller.signal), ['reset', 'protocol'], `abort(${reason ? 'Error' : ''})`);
        }
      },
      { onHead: true },
    ),

  'a garbage response is protocol or reset': (make) =>
    withServer(
      make,
      async (req, c) => {
        if (req.target === '/words') await c.write('this is not http\r\n\r\n');
        else await c.write('HTTP/1.1 abc Broken\r\n\r\n');
        c.close();
      },
      async (s, t) => {
        for (const path of ['/words', '/status']) {
          await rejectsWith(t.send(outbound('GET', path), backendAt(s.origin), never()), ['protocol', 'reset'], path);
        }
        assert.equal(s.requests.length, 2, 'one request per send');
      },
    ),

  // A response head the backend got wrong rejects with protocol (transport/head.ts), whatever
  // the runtime's client made of it: nothing a Response cannot carry reaches the core.
  'a status outside 200-599 is protocol, naming the backend': (make) =>
    withServer(
      make,
      async (req, c) => {
        if (req.target === '/101') await c.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n');
        else await c.write(`HTTP/1.1 ${req.target.slice(1)} Odd\r\nContent-Length: 2\r\n\r\nok`);
        c.close();
      },
      async (s, t) => {
        for (const status of ['999', '600', '101']) {
          const e = await rejectsWith(t.send(outbound('GET', `/${status}`), backendAt(s.origin), never()), ['protocol'], status);
          assert.match(e.message, new RegExp(`^protocol: 127\\.0\\.0\\.1:${s.port} sent `), status);
          if (status !== '101') assert.match(e.message, new RegExp(`status ${status}, outside 200-599`));
        }
      },
    ),

  'a response head over 64 KiB is protocol': (make) =>
    withServer(
      make,
      (req, c) => c.respond(200, 'OK', [['X-Big', 'a'.repeat(Number(req.target.slice(1)))], ['Content-Length', 2]], 'ok'),
      async (s, t) => {
        for (const size of [70 * 1024, MIB]) {
          const e = await rejectsWith(t.send(outbound('GET', `/${size}`), backendAt(s.origin), never()), ['protocol'], `${size} bytes of one header`);
          assert.match(e.message, new RegExp(`^protocol: 127\\.0\\.0\\.1:${s.port} sent `));
        }
      },
    ),

  'a response head of 60 KiB passes': (make) =>
    withServer(
      make,
      (req, c) => c.respond(200, 'OK', [['X-Big', 'a'.repeat(60 * 1024)], ['Content-Length', 2]], 'ok'),
      async (s, t) => {
        const res = await within(t.send(outbound('GET', '/'), backendAt(s.origin), never()), 'send');
        assert.equal(res.headers.get('x-big')?.length, 60 * 1024);
        assert.equal(text(await readAll(res.body)), 'ok');
      },
    ),

  'more than 100 header fields is protocol; 100 pass': (make) =>
    withServer(
      make,
      (req, c) => {
        const n = Number(req.target.slice(1));
        const fields: Array<[string, number]> = Array.from({ length: n - 1 }, (_, i) => [`X-H${i}`, i]);
        return c.respond(200, 'OK', [...fields, ['Content-Length', 2]], 'ok');
      },
      async (s, t) => {
        const ok = await within(t.send(outbound('GET', '/100'), backendAt(s.origin), never()), '100 fields');
        assert.equal(ok.headers.get('x-h98'), '98');
        assert.equal(text(await readAll(ok.body)), 'ok');
        for (const n of [101, 150]) {
          const e = await rejectsWith(t.send(outbound('GET', `/${n}`), backendAt(s.origin), never()), ['protocol'], `${n} fields`);
          assert.match(e.message, new RegExp(`^protocol: 127\\.0\\.0\\.1:${s.port} sent .*(${n} response header fields|more than 100 header fields)`));
        }
      },
    ),

  'a response with both Content-Length and Transfer-Encoding is protocol': (make) =>
    withServer(
      make,
      async (req, c) => {
        const framing = req.target === '/cl-first' ? 'Content-Length: 3\r\nTransfer-Encoding: chunked' : 'Transfer-Encoding: chunked\r\nContent-Length: 3';
        await c.write(`HTTP/1.1 200 OK\r\n${framing}\r\n\r\n5\r\nhello\r\n0\r\n\r\n`);
      },
      async (s, t) => {
        for (const path of ['/cl-first', '/te-first']) {
          const e = await rejectsWith(t.send(outbound('GET', path), backendAt(s.origin), never()), ['protocol'], path);
          // undici may find the small body's length wrong before its head is seen: that says so instead.
          assert.match(e.message, new RegExp(`^protocol: 127\\.0\\.0\\.1:${s.port} sent (both Content-Length and Transfer-Encoding|a body whose length does not match its Content-Length)`), path);
        }
      },
    ),

  'a body cut mid-way never ends cleanly': async (make) => {
    // Large bodies: the head and 64 KiB, then (once the test has read a chunk) the cut.
    const cuts = new Map<string, ReturnType<typeof gate>>();
    await withServer(
      make,
      async (req, c) => {
        const [, kind, how] = req.target.split('/');
        if (kind === 'small') {
          await c.respond(200, 'OK', [['Content-Length', 10_000]], patterned(1000));
          return how === 'rst' ? c.reset() : c.close();
        }
        const framing: Array<[string, string | number]> = kind === 'chunked' ? [['Transfer-Encoding', 'chunked']] : [['Content-Length', MIB]];
        await c.respond(200, 'OK', framing);
        if (kind === 'chunked') await c.write('10000\r\n');
        await c.write(patterned(65536));
        if (kind === 'chunked') await c.write('\r\n');
        await cuts.get(req.target)!.wait;
        if (how === 'rst') c.reset();
        else c.close();
      },
      async (s, t) => {
        for (const path of ['/length/rst', '/length/fin', '/chunked/rst', '/chunked/fin']) {
          cuts.set(path, gate());
          const res = await within(t.send(outbound('GET', path), backendAt(s.origin), never()), path);
          assert.ok(res.body instanceof ReadableStream, `${path}: a stream`);
          const reader = res.body.getReader();
          const first = await within(reader.read(), `${path}: first chunk`);
          assert.ok(!first.done && first.value.length > 0, `${path}: a first chunk`);
          cuts.get(path)!.open();
          await assert.rejects(
            within((async () => {
              for (;;) if ((await reader.read()).done) return;
            })(), `${path}: reading on`),
            (e: Error) => !/nothing after/.test(e.message),
            `${path}: reading the body must fail, not end early`,
          );
        }
        // Small declared-length bodies: a transport that reads them inside send rejects it; else the body fails.
        for (const path of ['/small/rst', '/small/fin']) {
          let res: UpstreamResponse;
          try {
            res = await within(t.send(outbound('GET', path), backendAt(s.origin), never()), path);
          } catch (e) {
            assert.ok(e instanceof UpstreamError && (e.kind === 'reset' || e.kind === 'protocol'), `${path}: send rejected with ${String(e)}`);
            continue;
          }
          await assert.rejects(within(readAll(res.body), `${path}: read`), (e: Error) => !/nothing after/.test(e.message), `${path}: reading the body must fail`);
        }
      },
    );
  },

  'aborting the signal after the head stops the body and closes the upstream connection': async (make) => {
    let conn: Conn | undefined;
    await withServer(
      make,
      async (req, c) => {
        conn = c;
        await c.respond(200, 'OK', [['Content-Length', MIB]], patterned(65536));
        // The rest never comes: only the abort can end this.
      },
      async (s, t) => {
        const controller = new AbortController();
        const res = await within(t.send(outbound('GET', '/long'), backendAt(s.origin), controller.signal), 'send');
        assert.ok(res.body instanceof ReadableStream);
        const reader = res.body.getReader();
        await within(reader.read(), 'first chunk');
        controller.abort(new Error('client went away'));
        await within(conn!.closed, 'the upstream connection closes');
        await assert.rejects(within((async () => {
          for (;;) if ((await reader.read()).done) return;
        })(), 'reading on'), (e: Error) => !/nothing after/.test(e.message));
      },
    );
  },
} satisfies Record<string, Case>;

export type TransportCase = keyof typeof CASES;

/** Every case's name (the cross-runtime parent checks each one ran). */
export const TRANSPORT_CASES = Object.keys(CASES) as TransportCase[];

/** The contract every Transport must pass. `make` returns a fresh transport; each case closes its own. */
export function runTransportTests(name: string, make: () => Transport, exp: TransportExpectations): void {
  describe(`Transport contract: ${name}`, () => {
    for (const c of TRANSPORT_CASES) {
      const reason = exp.skip?.[c];
      if (reason) it.skip(`${c} (skipped: ${reason})`, () => {});
      else it(c, () => (CASES[c] as Case)(make, exp));
    }
  });
}
