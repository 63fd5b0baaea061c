/**
 * Response compression on a real balancer entry, over HTTP against a real
 * backend on 127.0.0.1: bodies decompress to exactly what the backend sent
 * (gzip and br, around min_bytes and at 1 MiB); a streamed text response
 * reaches the client compressed line by line, and a server-sent event stream
 * uncompressed and unbuffered (each line is seen before the backend sends the
 * next); a body the backend encoded is not encoded again; HEAD, 204, 304,
 * no-transform, small bodies and images are left alone; Vary and weak ETags.
 */
import assert from 'node:assert/strict';
import { createServer, request, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import { waitFor } from './fixtures/wait.ts';
import type { Running } from './conformance/harness.ts';
import type { Starter } from './conformance/suite.ts';

/** `n` bytes of text that compresses as text does (the same for the same n). */
export function textOf(n: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < n; i++) {
    const line = `${i}: the quick brown fox ${(i * 7919) % 10007} jumps over the lazy dog\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('').slice(0, n));
}

/** A backend stream that sends its next line only when the test says so. */
interface Stepper {
  sent: number;
  next(): void;
}

/**
 * The backend. `/text?n=N` (Content-Length, strong ETag; `chunked=1` without
 * a length, `notransform=1`, `vary=V`, `type=T`), `/gz` (gzip of its own),
 * `/status?code=C`, `/stream?id=I&type=T` (a line now, then one per `next()`
 * at least 300 ms after it, four in all).
 */
async function startBackend(): Promise<{ url: string; steppers: Map<string, Stepper>; close(): Promise<void> }> {
  const steppers = new Map<string, Stepper>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const q = url.searchParams;
    if (url.pathname === '/health') return void res.end('ok');
    if (url.pathname === '/text') {
      const body = textOf(Number(q.get('n')));
      const headers: Record<string, string> = { 'content-type': q.get('type') ?? 'text/plain; charset=utf-8', etag: `"t${body.length}"`, 'accept-ranges': 'bytes' };
      if (!q.get('chunked')) headers['content-length'] = String(body.length);
      if (q.get('notransform')) headers['cache-control'] = 'public, no-transform';
      if (q.get('vary')) headers.vary = q.get('vary')!;
      res.writeHead(200, headers);
      if (q.get('chunked')) {
        for (let at = 0; at < body.length; at += 16_384) res.write(body.subarray(at, at + 16_384));
        return void res.end();
      }
      return void res.end(req.method === 'HEAD' ? undefined : body);
    }
    if (url.pathname === '/gz') {
      const gz = zlib.gzipSync(textOf(5000));
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': String(gz.length) });
      return void res.end(gz);
    }
    if (url.pathname === '/status') {
      const code = Number(q.get('code'));
      res.writeHead(code, { 'content-type': 'text/plain', etag: '"s"' });
      return void res.end();
    }
    if (url.pathname === '/stream') return stream(res, q.get('id')!, q.get('type') ?? 'text/plain');
    res.writeHead(404).end();
  });
  function stream(res: ServerResponse, id: string, type: string): void {
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' });
    const line = (i: number) => (type === 'text/event-stream' ? `data: event ${i}\n\n` : `line ${i}\n`);
    const s: Stepper = {
      sent: 1,
      next: () =>
        setTimeout(() => {
          res.write(line(s.sent++));
          if (s.sent === 4) res.end();
        }, 300),
    };
    steppers.set(id, s);
    res.write(line(0));
  }
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    steppers,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  /** The bytes as they came over the wire. */
  raw: Buffer;
  /** Those bytes decoded by their Content-Encoding (one coding). */
  body: Buffer;
}

const decoders: Record<string, (b: Buffer) => Buffer> = {
  gzip: (b) => zlib.gunzipSync(b),
  br: (b) => zlib.brotliDecompressSync(b),
};

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('error', reject);
      res.on('end', () => {
        const raw = Buffer.concat(parts);
        const coding = res.headers['content-encoding'];
        try {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, raw, body: coding ? decoders[coding](raw) : raw });
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A streamed response decoded as its bytes arrive; `until(text)` resolves once the decoded text ends with it. */
function streamed(url: string, acceptEncoding: string) {
  let text = '';
  let waiter: { want: string; resolve: () => void } | undefined;
  let failed: Error | undefined;
  const check = () => {
    if (waiter && text.endsWith(waiter.want)) {
      waiter.resolve();
      waiter = undefined;
    }
  };
  let abort = () => {};
  const head = new Promise<IncomingHttpHeaders>((resolve, reject) => {
    const req = request(url, { headers: { 'accept-encoding': acceptEncoding } }, (res) => {
      const coding = res.headers['content-encoding'];
      // Decoders that hand on what they have as soon as they have it.
      const decoder =
        coding === 'gzip' ? zlib.createGunzip({ flush: zlib.constants.Z_SYNC_FLUSH }) : coding === 'br' ? zlib.createBrotliDecompress({ flush: zlib.constants.BROTLI_OPERATION_FLUSH }) : undefined;
      const out = decoder ? res.pipe(decoder) : res;
      out.on('data', (d: Buffer) => {
        text += d.toString();
        check();
      });
      out.on('error', (e: Error) => (failed = e));
      resolve(res.headers);
    });
    req.on('error', (e) => (failed ??= e));
    req.on('error', reject);
    abort = () => req.destroy();
    req.end();
  });
  return {
    head,
    /** Goes away mid-body (the connection is closed). */
    abort: () => abort(),
    text: () => text,
    until(want: string, timeoutMs = 15_000): Promise<void> {
      if (failed) return Promise.reject(failed);
      if (text.endsWith(want)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${JSON.stringify(want)} not seen within ${timeoutMs} ms; seen ${JSON.stringify(text)}`)), timeoutMs);
        waiter = {
          want,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
      });
    },
  };
}

const hasVary = (h: IncomingHttpHeaders) => /(^|,)\s*accept-encoding\s*(,|$)/i.test(String(h.vary ?? ''));

export interface CompressionOptions {
  /** Whether this runtime's transport hands on bodies decoded (Deno's fetch): a body the backend encoded then reaches the client plain. */
  decodes?: boolean;
  /** Why this runtime's server sends a streamed body chunked, without the Content-Length its Response has (Bun.serve), when it does. */
  chunksStreams?: string;
}

export function runCompressionConformance(name: string, start: Starter, options: CompressionOptions = {}): void {
  describe(`compression: ${name}`, { timeout: 180_000 }, () => {
    let backend: Awaited<ReturnType<typeof startBackend>>;
    let lb: Running;
    before(async () => {
      backend = await startBackend();
      lb = await start({ servers: [{ url: backend.url }], health_check: { enabled: false }, compression: {} });
    });
    after(async () => {
      await lb?.stop();
      await backend?.close();
    });

    for (const encoding of ['gzip', 'br'] as const) {
      for (const [n, chunked] of [
        [1023, false],
        [1024, false],
        [1025, false],
        [64 * 1024, false],
        [1 << 20, false],
        [1 << 20, true],
      ] as const) {
        const compressed = n >= 1024;
        it(`${encoding}: ${n} bytes${chunked ? ' chunked' : ''} ${compressed ? 'compressed' : 'as it is'}, decoded exactly`, async () => {
          const r = await get(`${lb.url}/text?n=${n}${chunked ? '&chunked=1' : ''}`, { 'accept-encoding': encoding });
          assert.equal(r.status, 200);
          assert.ok(r.body.equals(textOf(n)), `${r.body.length} bytes came back`);
          assert.ok(hasVary(r.headers), `vary: ${r.headers.vary}`);
          if (compressed) {
            assert.equal(r.headers['content-encoding'], encoding);
            assert.equal(r.headers['content-length'], undefined);
            assert.equal(r.headers['accept-ranges'], undefined);
            assert.equal(r.headers.etag, `W/"t${n}"`);
            assert.ok(r.raw.length < n / 2, `${r.raw.length} bytes on the wire for ${n}`);
          } else {
            assert.equal(r.headers['content-encoding'], undefined);
            if (!options.chunksStreams) assert.equal(r.headers['content-length'], String(n));
            assert.equal(r.headers.etag, `"t${n}"`);
          }
        });
      }

      it(`${encoding}: a streamed text response arrives compressed line by line`, async () => {
        const id = `text-${encoding}`;
        const c = streamed(`${lb.url}/stream?id=${id}`, encoding);
        assert.equal((await c.head)['content-encoding'], encoding);
        for (let i = 0; i < 4; i++) {
          await c.until(`line ${i}\n`);
          const s = backend.steppers.get(id)!;
          // Seen before the backend sent the next one: each line came through on its own.
          assert.equal(s.sent, i + 1);
          if (i < 3) s.next();
        }
        assert.equal(c.text(), 'line 0\nline 1\nline 2\nline 3\n');
      });
    }

    it('a client that goes away mid-stream frees its place: the server leaves flight', async () => {
      const c = streamed(`${lb.url}/stream?id=gone`, 'gzip');
      assert.equal((await c.head)['content-encoding'], 'gzip');
      await c.until('line 0\n');
      const inFlight = async () => {
        const stats = JSON.parse((await get(`${lb.url}/api/stats`)).body.toString()) as { servers: Record<string, { active_connections: number }> };
        return Object.values(stats.servers)[0].active_connections;
      };
      assert.equal(await inFlight(), 1);
      c.abort();
      await waitFor('the server leaves flight', inFlight, (n) => n === 0, 10_000);
      // And the balancer serves on.
      assert.ok((await get(`${lb.url}/text?n=5000`, { 'accept-encoding': 'br' })).body.equals(textOf(5000)));
    });

    it('a server-sent event stream passes uncompressed, each event when it is sent', async () => {
      const c = streamed(`${lb.url}/stream?id=sse&type=text/event-stream`, 'gzip, br');
      const head = await c.head;
      assert.equal(head['content-encoding'], undefined);
      assert.ok(!hasVary(head));
      for (let i = 0; i < 4; i++) {
        await c.until(`data: event ${i}\n\n`);
        const s = backend.steppers.get('sse')!;
        assert.equal(s.sent, i + 1);
        if (i < 3) s.next();
      }
    });

    it('the client picks by its q-values; the configured order breaks ties', async () => {
      assert.equal((await get(`${lb.url}/text?n=5000`, { 'accept-encoding': 'gzip;q=1, br;q=0.5' })).headers['content-encoding'], 'gzip');
      assert.equal((await get(`${lb.url}/text?n=5000`, { 'accept-encoding': 'gzip, br' })).headers['content-encoding'], 'br');
      assert.equal((await get(`${lb.url}/text?n=5000`, { 'accept-encoding': '*' })).headers['content-encoding'], 'br');
      const plain = await get(`${lb.url}/text?n=5000`, { 'accept-encoding': 'identity' });
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.ok(hasVary(plain.headers));
      const none = await get(`${lb.url}/text?n=5000`);
      assert.equal(none.headers['content-encoding'], undefined);
      assert.ok(none.body.equals(textOf(5000)));
    });

    it('a body the backend encoded is not encoded again', async () => {
      const r = await get(`${lb.url}/gz`, { 'accept-encoding': 'gzip, br' });
      // Decoded once by its one Content-Encoding, it is the text (a second coding would leave gzip bytes).
      assert.ok(r.body.equals(textOf(5000)));
      if (options.decodes) assert.equal(r.headers['content-encoding'], undefined, 'the transport decoded it: sent plain');
      else {
        assert.equal(r.headers['content-encoding'], 'gzip');
        assert.ok(r.raw.equals(zlib.gzipSync(textOf(5000))), 'the backend’s bytes, byte for byte');
      }
    });

    it('HEAD, 204, 304, no-transform and images are left alone', async () => {
      const ae = { 'accept-encoding': 'gzip, br' };
      const head = await get(`${lb.url}/text?n=5000`, ae, 'HEAD');
      assert.equal(head.headers['content-encoding'], undefined);
      assert.equal(head.headers.etag, '"t5000"');
      assert.ok(hasVary(head.headers), 'what a GET gets varies');
      for (const code of [204, 304]) {
        const r = await get(`${lb.url}/status?code=${code}`, ae);
        assert.equal(r.status, code);
        assert.equal(r.headers['content-encoding'], undefined);
        assert.equal(r.headers.etag, '"s"');
      }
      const nt = await get(`${lb.url}/text?n=5000&notransform=1`, ae);
      assert.equal(nt.headers['content-encoding'], undefined);
      if (!options.chunksStreams) assert.equal(nt.headers['content-length'], '5000');
      assert.ok(nt.raw.equals(textOf(5000)));
      const png = await get(`${lb.url}/text?n=5000&type=image/png`, ae);
      assert.equal(png.headers['content-encoding'], undefined);
      if (!options.chunksStreams) assert.equal(png.headers['content-length'], '5000');
      assert.ok(!hasVary(png.headers));
    });

    it('metrics count the compressed bodies and their bytes before and after, by encoding', async () => {
      const metrics = async () => {
        const text = (await get(`${lb.url}/api/metrics`)).body.toString();
        const value = (name: string, encoding: string) => Number(new RegExp(`^${name}\\{encoding="${encoding}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
        return { responses: value('switchyard_compressed_responses_total', 'gzip'), bytesIn: value('switchyard_compression_in_bytes_total', 'gzip'), bytesOut: value('switchyard_compression_out_bytes_total', 'gzip') };
      };
      const before = await metrics();
      const r = await get(`${lb.url}/text?n=100000`, { 'accept-encoding': 'gzip' });
      const after = await metrics();
      assert.equal(after.responses - before.responses, 1);
      assert.equal(after.bytesIn - before.bytesIn, 100_000);
      assert.equal(after.bytesOut - before.bytesOut, r.raw.length);
    });

    it("Accept-Encoding joins the backend's own Vary once", async () => {
      const r = await get(`${lb.url}/text?n=5000&vary=Origin`, { 'accept-encoding': 'gzip' });
      assert.equal(r.headers.vary, 'Origin, Accept-Encoding');
      const again = await get(`${lb.url}/text?n=5000&vary=${encodeURIComponent('Accept-Encoding, Origin')}`, { 'accept-encoding': 'gzip' });
      assert.equal(again.headers.vary, 'Accept-Encoding, Origin');
      assert.equal(again.headers['content-encoding'], 'gzip');
    });
  });
}
