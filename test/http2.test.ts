/**
 * HTTP/2 to clients on the TLS listener of the real Node, Bun and Deno
 * entries, HTTP/1.1 by ALPN on the same port, with Node's `http2` client and
 * certificates made by `openssl` here. The backend is a scripted HTTP/1.1
 * server, so every byte it answers (trailers, hop-by-hop headers) is the
 * test's.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as h2connect, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { WebSocket, WebSocketServer, type ClientOptions } from 'ws';
import { startEntry, type Running, type RuntimeName } from './conformance/harness.ts';
import { scriptedServer, type ScriptedServer } from './fixtures/scripted-http.ts';
import { waitFor } from './fixtures/wait.ts';

const HAS_OPENSSL = spawnSync('openssl', ['version']).status === 0;
const SKIP = HAS_OPENSSL ? false : 'openssl is not installed (Debian: apt-get install openssl): the test certificates are made with it';
const RUNTIMES: RuntimeName[] = (process.env.H2_ONLY?.split(',') as RuntimeName[] | undefined) ?? ['node', 'bun', 'deno'];
const LINES = 5;

/** A CA and a server certificate for localhost and 127.0.0.1 signed by it, in a new temp dir. */
function makeCertificates(): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-h2-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Switchyard Test CA');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', 'server.pem');
  return dir;
}

interface H2Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  trailers: IncomingHttpHeaders | null;
}

/** One request on `session`; `send` writes the body (the request is ended after it), `onData` sees each chunk as it arrives. */
function h2(session: ClientHttp2Session, headers: OutgoingHttpHeaders, send?: (write: (chunk: string) => void) => Promise<void>, onData?: (chunk: string) => void): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: !send });
    const answer: H2Answer = { status: 0, headers: {}, body: '', trailers: null };
    stream.setEncoding('utf8');
    stream.setTimeout(30_000, () => stream.close());
    stream.on('response', (h) => ((answer.status = Number(h[':status'])), (answer.headers = h)));
    stream.on('trailers', (t) => (answer.trailers = t));
    stream.on('data', (d: string) => ((answer.body += d), onData?.(d)));
    stream.on('end', () => resolve(answer));
    stream.on('error', reject);
    if (send) send((chunk) => stream.write(chunk)).then(() => stream.end(), reject);
  });
}

/** A GET over HTTP/1.1 (no ALPN) with `headers`. */
function h1(port: number, path: string, ca: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; version: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, ca, headers, agent: false, timeout: 30_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, version: res.httpVersion, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

interface Echo {
  method: string;
  target: string;
  headers: Array<[string, string]>;
  bodyBytes: number;
}

/** What the scripted backend answers, by path; `linesSeen()` is how many /stream lines the client has received. */
function startBackend(linesSeen: () => number): Promise<ScriptedServer> {
  let backend: ScriptedServer;
  const held = () => backend.requests.filter((r) => r.target.startsWith('/hold')).length;
  const started = scriptedServer(
    async (req, conn) => {
      await backend.until(() => req.complete);
      const path = req.target.split('?')[0];
      const echo = () => JSON.stringify({ method: req.method, target: req.target, headers: req.headers, bodyBytes: req.body.length } satisfies Echo);
      const json = (body: string) => conn.respond(200, 'OK', [['content-type', 'application/json'], ['content-length', Buffer.byteLength(body)]], body);
      if (path === '/hold') {
        // Answered only once three are here at once: on one HTTP/2 connection, that takes concurrent streams.
        await backend.until(() => held() >= 3);
        return json(echo());
      }
      if (path === '/stream') {
        await conn.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n');
        for (let i = 0; i < LINES; i++) {
          await new Promise((r) => setTimeout(r, 300));
          const line = `line ${i}\n`;
          await conn.write(`${line.length.toString(16)}\r\n${line}\r\n`);
          // The next line is sent only once the client has this one: a buffered response never completes.
          await waitFor(`the client to receive line ${i}`, async () => linesSeen(), (n) => n > i, 20_000);
        }
        return void (await conn.write('0\r\n\r\n'));
      }
      if (path === '/trailers') {
        return void (await conn.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntrailer: x-checksum\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nx-checksum: 5d41402a\r\n\r\n'));
      }
      if (path === '/hop') {
        const head = [
          'HTTP/1.1 200 OK',
          'connection: keep-alive, x-private',
          'keep-alive: timeout=5',
          'proxy-connection: keep-alive',
          'upgrade: h2c',
          'x-private: secret',
          'x-kept: yes',
          'transfer-encoding: chunked',
        ];
        return void (await conn.write(`${head.join('\r\n')}\r\n\r\n2\r\nok\r\n0\r\n\r\n`));
      }
      return json(echo());
    },
    { onHead: true },
  );
  return started.then((s) => (backend = s));
}

/** A `ws` echo server on 127.0.0.1. */
async function startWsBackend(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createHttpServer((_req, res) => res.end('ok'));
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket) => socket.on('message', (data, binary) => socket.send(data, { binary })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => new Promise((r) => (wss.clients.forEach((c) => c.terminate()), server.closeAllConnections(), server.close(() => r()))),
  };
}

let certs = '';
before(() => {
  if (HAS_OPENSSL) certs = makeCertificates();
});
after(() => {
  if (certs) rmSync(certs, { recursive: true, force: true });
});

const withoutPseudo = (headers: Array<[string, string]>) => headers.filter(([n]) => !n.startsWith(':'));
const sorted = (headers: Array<[string, string]>) => [...headers].sort(([a], [b]) => a.localeCompare(b));

for (const runtime of RUNTIMES) {
  describe(`HTTP/2 to clients on ${runtime}`, { skip: SKIP, timeout: 120_000 }, () => {
    let ca: Buffer;
    let backend: ScriptedServer;
    let ws: Awaited<ReturnType<typeof startWsBackend>>;
    let lb: Running;
    let session: ClientHttp2Session;
    let linesSeen = 0;

    before(async () => {
      ca = readFileSync(join(certs, 'ca.pem'));
      backend = await startBackend(() => linesSeen);
      ws = await startWsBackend();
      const config = {
        load_balancer: { port: 0, ssl: { cert_file: join(certs, 'server.pem'), key_file: join(certs, 'server.key') } },
        services: { app: { servers: [{ url: backend.origin }] }, sockets: { servers: [{ url: ws.url }] } },
        routes: [
          { match: { path_prefix: '/ws' }, service: 'sockets' },
          { match: { path_prefix: '/' }, service: 'app' },
        ],
        access_log: 'off',
      };
      const dir = mkdtempSync(join(tmpdir(), `switchyard-h2-${runtime}-`));
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
      lb = await startEntry(runtime, ['--config', join(dir, 'config.json')]);
      session = h2connect(lb.url, { ca });
      session.on('error', () => {});
      await new Promise<void>((resolve, reject) => {
        session.once('connect', () => resolve());
        session.once('error', reject);
      });
    });
    after(async () => {
      session?.close();
      await lb?.stop();
      await backend?.close();
      await ws?.close();
    });

    it('negotiates h2 by ALPN; the backend sees what an HTTP/1.1 client gets it, :authority as X-Forwarded-Host', async () => {
      assert.equal(session.alpnProtocol, 'h2');
      const authority = `localhost:${lb.port}`;
      // HTTP/2 clients send cookies as separate fields, and may send `te: trailers`.
      const over2 = await h2(session, { ':path': '/echo?q=1', ':authority': authority, cookie: ['a=1', 'b=2'], te: 'trailers', 'x-test': 'same' });
      assert.equal(over2.status, 200);
      const over1 = await h1(lb.port, '/echo?q=1', ca, { host: authority, cookie: 'a=1; b=2', 'x-test': 'same' });
      assert.equal(over1.status, 200);
      const e2 = JSON.parse(over2.body) as Echo;
      const e1 = JSON.parse(over1.body) as Echo;
      assert.equal(e2.target, '/echo?q=1');
      assert.deepEqual(withoutPseudo(e2.headers), e2.headers, 'no pseudo-header reaches the backend');
      const get = (name: string) => e2.headers.filter(([n]) => n === name).map(([, v]) => v);
      assert.deepEqual(get('cookie'), ['a=1; b=2']);
      assert.deepEqual(get('te'), []);
      assert.deepEqual(get('x-forwarded-proto'), ['https']);
      assert.deepEqual(get('x-forwarded-host'), [authority]);
      assert.deepEqual(get('host'), [`127.0.0.1:${backend.port}`]);
      assert.deepEqual(sorted(e2.headers), sorted(e1.headers));
    });

    it('serves concurrent streams on one connection', async () => {
      const answers = await Promise.all([0, 1, 2].map((i) => h2(session, { ':path': `/hold?i=${i}` })));
      assert.deepEqual(answers.map((a) => a.status), [200, 200, 200]);
      assert.deepEqual(answers.map((a) => (JSON.parse(a.body) as Echo).target), ['/hold?i=0', '/hold?i=1', '/hold?i=2']);
    });

    it('streams a request body up as it is sent', async () => {
      // More than the replay buffer (64 KiB by default), which the balancer reads before it sends.
      const first = 'a'.repeat(256 * 1024);
      const upload = () => backend.requests.find((r) => r.target === '/upload');
      const answer = await h2(session, { ':path': '/upload', ':method': 'POST', 'content-type': 'text/plain' }, async (write) => {
        write(first);
        // The rest is sent only once the first part is at the backend: a buffered upload never completes.
        await backend.until(() => (upload()?.body.length ?? 0) >= first.length);
        write('b'.repeat(1000));
      });
      assert.equal(answer.status, 200);
      const echo = JSON.parse(answer.body) as Echo;
      assert.equal(echo.method, 'POST');
      assert.equal(echo.bodyBytes, first.length + 1000);
    });

    it('streams a response down line by line as the backend sends it', async () => {
      const arrived: string[] = [];
      const answer = await h2(session, { ':path': '/stream' }, undefined, (chunk) => {
        arrived.push(chunk);
        linesSeen = arrived.join('').split('\n').length - 1;
      });
      assert.equal(answer.status, 200);
      assert.equal(answer.body, Array.from({ length: LINES }, (_, i) => `line ${i}\n`).join(''));
      assert.equal(linesSeen, LINES);
    });

    it("drops a backend's trailers cleanly: the body arrives whole, the stream ends without error", async () => {
      const answer = await h2(session, { ':path': '/trailers' });
      assert.equal(answer.status, 200);
      assert.equal(answer.body, 'hello');
      assert.equal(answer.headers.trailer, undefined);
      assert.equal(answer.trailers?.['x-checksum'], undefined);
      assert.equal((await h2(session, { ':path': '/echo' })).status, 200, 'the connection serves on');
    });

    it('sends no connection-specific header on an h2 response, whatever the backend sent', async () => {
      const answer = await h2(session, { ':path': '/hop' });
      assert.equal(answer.status, 200);
      assert.equal(answer.body, 'ok');
      for (const name of ['connection', 'keep-alive', 'proxy-connection', 'upgrade', 'transfer-encoding', 'x-private']) assert.equal(answer.headers[name], undefined, name);
      assert.equal(answer.headers['x-kept'], 'yes');
      assert.equal((await h2(session, { ':path': '/echo' })).status, 200, 'the connection serves on');
      assert.doesNotMatch(lb.output(), /ERR_HTTP2|Error/);
    });

    it('serves HTTP/1.1 on the same port to a client that offers only http/1.1', async () => {
      const socket = tlsConnect({ host: '127.0.0.1', port: lb.port, ca, ALPNProtocols: ['http/1.1'] });
      let raw = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (raw += d));
      socket.setTimeout(30_000, () => socket.destroy());
      const closed = new Promise<void>((r) => socket.once('close', () => r()));
      await new Promise<void>((r) => socket.once('secureConnect', () => r()));
      assert.equal(socket.alpnProtocol, 'http/1.1');
      socket.write(`GET /echo HTTP/1.1\r\nHost: localhost:${lb.port}\r\nConnection: close\r\n\r\n`);
      await closed;
      assert.match(raw, /^HTTP\/1\.1 200 /);
      const plain = await h1(lb.port, '/echo', ca);
      assert.deepEqual([plain.status, plain.version], [200, '1.1']);
    });

    it('passes a WebSocket upgrade over TLS on an HTTP/1.1 connection', { skip: runtime === 'deno' ? 'Deno 2.9.5 serves no WebSockets (its per-connection server closes an upgraded socket; the upgrade gets 501)' : false }, async () => {
      // ws hands its options to tls.connect: ALPN as a browser offers it for a WebSocket.
      const socket = new WebSocket(`wss://127.0.0.1:${lb.port}/ws`, { ca, ALPNProtocols: ['http/1.1'] } as ClientOptions);
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once('open', () => resolve());
          socket.once('error', reject);
        });
        assert.equal((socket as unknown as { _socket: TLSSocket })._socket.alpnProtocol, 'http/1.1');
        const reply = new Promise<string>((r) => socket.once('message', (d) => r(String(d))));
        socket.send('over TLS');
        assert.equal(await reply, 'over TLS');
      } finally {
        socket.terminate();
      }
    });
  });

  describe(`listener limits over HTTP/2 on ${runtime}`, { skip: SKIP, timeout: 120_000 }, () => {
    let backend: ScriptedServer;
    let released = false;
    let lb: Running;
    let ca: Buffer;
    /** A new session, connected; resolves `closed` when the balancer ends it. */
    const open = async () => {
      const session = h2connect(lb.url, { ca });
      session.on('error', () => {});
      const closed = new Promise<void>((r) => session.once('close', () => r()));
      await new Promise<void>((resolve, reject) => (session.once('connect', () => resolve()), session.once('error', reject)));
      return { session, closed };
    };
    const within = (what: string, p: Promise<void>, ms = 20_000) =>
      Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref())]);

    before(async () => {
      ca = readFileSync(join(certs, 'ca.pem'));
      backend = await scriptedServer(async (req, conn) => {
        if (req.target === '/slow') await backend.until(() => released);
        await conn.respond(200, 'OK', [['content-length', 2]], 'ok');
      });
      const dir = mkdtempSync(join(tmpdir(), `switchyard-h2-limits-${runtime}-`));
      const ssl = { cert_file: join(certs, 'server.pem'), key_file: join(certs, 'server.key') };
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ load_balancer: { port: 0, header_timeout: '1s', idle_timeout: '1s', ssl }, servers: [{ url: backend.origin }], access_log: 'off' }));
      lb = await startEntry(runtime, ['--config', join(dir, 'config.json')]);
    });
    after(async () => {
      await lb?.stop();
      await backend?.close();
    });

    it('closes a connection that opens no stream within header_timeout', async () => {
      const { closed } = await open();
      await within('the silent connection closed', closed);
    });

    it('keeps a connection whose stream waits past idle_timeout, and closes it once it has idled', async () => {
      const { session, closed } = await open();
      let ended = false;
      void closed.then(() => (ended = true));
      const slow = h2(session, { ':path': '/slow' });
      await backend.until(() => backend.requests.some((r) => r.target === '/slow'));
      // Well past both timeouts with the stream open: a stream keeps its connection, however quiet.
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(ended, false, 'the connection was closed under an open stream');
      released = true;
      // Bytes reaching the backend's socket re-check `until`: nudge it with a second request.
      assert.equal((await h2(session, { ':path': '/fast' })).status, 200);
      assert.equal((await slow).status, 200);
      await within('the idle connection closed', closed);
    });
  });

  describe(`ssl.http2 false on ${runtime}`, { skip: SKIP, timeout: 120_000 }, () => {
    it('offers HTTP/1.1 only: an h2-only client is refused, an HTTP/1.1 client served', async () => {
      const dir = mkdtempSync(join(tmpdir(), `switchyard-h1-${runtime}-`));
      writeFileSync(
        join(dir, 'config.json'),
        JSON.stringify({ load_balancer: { port: 0, ssl: { cert_file: join(certs, 'server.pem'), key_file: join(certs, 'server.key'), http2: false } }, servers: [{ url: 'http://127.0.0.1:9' }] }),
      );
      const lb = await startEntry(runtime, ['--config', join(dir, 'config.json')]);
      const ca = readFileSync(join(certs, 'ca.pem'));
      try {
        const socket = tlsConnect({ host: '127.0.0.1', port: lb.port, ca, ALPNProtocols: ['h2', 'http/1.1'] });
        socket.on('error', () => {});
        await new Promise<void>((r) => socket.once('secureConnect', () => r()));
        assert.notEqual(socket.alpnProtocol, 'h2');
        socket.destroy();
        // Refused by ALPN, or (with no ALPN agreed) its preface is not HTTP/1.1: either way no h2 answer.
        const session = h2connect(lb.url, { ca });
        session.on('error', () => {});
        await assert.rejects(h2(session, { ':path': '/health' }));
        session.destroy();
        const r = await h1(lb.port, '/health', ca);
        assert.equal(r.version, '1.1');
        assert.ok(r.status >= 200, String(r.status));
      } finally {
        await lb.stop();
      }
    });
  });
}
