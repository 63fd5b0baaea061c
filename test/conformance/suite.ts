/**
 * The black-box conformance suite: one set of behaviours every runtime entry
 * must show, driven over HTTP against real backends on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { startBackend, type TestBackend } from '../fixtures/backends.ts';
import { parsePrometheus, PROMETHEUS_MISSING } from '../fixtures/prometheus.ts';
import { bytesStream, countBytes } from '../fixtures/streams.ts';
import { startEntry, writeConfig, type Running, type RuntimeName } from './harness.ts';

/** Starts a balancer with this config (the file format) and returns where it listens. */
export type Starter = (config: Record<string, unknown>) => Promise<Running>;

/** The starter for a process entry: writes the config file and spawns the runtime. */
export const processStarter = (runtime: RuntimeName): Starter => (config) => startEntry(runtime, ['--config', writeConfig(config)]);

/** Admin token every run uses (Workers refuse writes without one). */
export const TOKEN = 'conformance-token';
const auth = { authorization: `Bearer ${TOKEN}` };

export interface SuiteOptions {
  /** Features this runtime cannot show, with the reason (printed as the skip). */
  skip?: Partial<Record<'gzipPassthrough' | 'graceful' | 'clientAbort' | 'badHost', string>>;
  /** Extra config keys for this runtime (e.g. `storage`). */
  config?: Record<string, unknown>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The suite's health checks (seconds): every wait for a change of health is derived from them. */
const HC = { interval: 0.2, rise: 2, fall: 2 };
/** How long `n` checks take at the interval, in ms. */
const checksMs = (n: number) => n * HC.interval * 1000;
/** Room for a loaded machine in waits that only restore the starting state (not a limit the product promises). */
const SLACK_MS = 5_000;

async function get(url: string, init?: RequestInit): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url, { redirect: 'manual', ...init });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function rawGet(url: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends `text` as-is over a fresh connection; resolves with the status line of the answer ('' when the connection closes first). */
function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let got = '';
    const timer = setTimeout(() => socket.destroy(new Error('no answer within 5 s')), 5000);
    socket.on('data', (d) => {
      got += d;
      if (got.includes('\r\n')) {
        clearTimeout(timer);
        socket.destroy();
        resolve(got.slice(0, got.indexOf('\r\n')));
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.on('error', reject);
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (await check()) return performance.now() - t0;
    await sleep(50);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

export function runConformance(name: string, start: Starter, options: SuiteOptions = {}): void {
  describe(`conformance: ${name}`, { timeout: 120_000 }, () => {
    let a: TestBackend, b: TestBackend, c: TestBackend;
    let lb: Running;
    const stats = async () => (await (await fetch(`${lb.url}/api/stats`)).json()) as Record<string, any>;

    before(async () => {
      [a, b, c] = await Promise.all([startBackend('A'), startBackend('B'), startBackend('C')]);
      lb = await start({
        load_balancer: { host: '127.0.0.1', port: 0, algorithm: 'round_robin' },
        servers: [a, b, c].map((x) => ({ host: '127.0.0.1', port: x.port, weight: 1 })),
        health_check: { enabled: true, interval: HC.interval, timeout: 0.5, rise: HC.rise, fall: HC.fall, path: '/health' },
        // The attempt timeout runs until response headers, and the echo backend answers a 64 MiB
        // upload only once it has read it all: on a loaded machine that can take seconds.
        timeout: 10,
        sticky: { cookie: 'SY', ttl: 60 },
        admin: { token: TOKEN },
        log_level: 'warn',
        ...options.config,
      });
    });
    after(async () => {
      await lb?.stop('SIGKILL');
      await Promise.all([a?.close(), b?.close(), c?.close()]);
    });
    // Every test starts from the same place, whatever ran before it: three servers up, in
    // rotation, nothing ejected, every circuit closed.
    beforeEach(async () => {
      for (const x of [a, b, c]) x.mode = 'ok';
      await waitFor(
        'all three servers back in rotation',
        async () => {
          const s = await stats();
          const servers = Object.values(s.servers) as Array<{ status: string; ejected_until: string | null; circuit: string }>;
          return servers.length === 3 && servers.every((x) => x.status === 'healthy' && x.ejected_until === null && x.circuit === 'closed');
        },
        15_000,
      );
    });

    it('round-robins over the three servers and names each in X-Served-By', async () => {
      const seen: string[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await get(`${lb.url}/echo`);
        assert.equal(r.status, 200);
        const body = JSON.parse(r.text) as { handled_by: string };
        assert.equal(r.headers.get('x-served-by'), [a, b, c].find((x) => x.name === body.handled_by)!.id);
        seen.push(body.handled_by);
      }
      // A full cycle visits each server once, in a fixed order.
      assert.deepEqual([...seen.slice(0, 3)].sort(), ['A', 'B', 'C']);
      assert.deepEqual(seen.slice(3), seen.slice(0, 3));
    });

    it('forwards the client address and strips hop-by-hop headers', async () => {
      // fetch and undici refuse a custom `Connection`; node:http sends it as given.
      const text = await rawGet(`${lb.url}/echo`, { 'x-forwarded-for': '203.0.113.9', connection: 'x-private', 'x-private': 's' });
      const h = (JSON.parse(text) as { headers: Record<string, string> }).headers;
      assert.match(h['x-forwarded-for'], /^203\.0\.113\.9, (127\.0\.0\.1|::ffff:127\.0\.0\.1)$/);
      assert.equal(h['x-forwarded-proto'], 'http');
      assert.equal(h['x-forwarded-host'], new URL(lb.url).host);
      assert.equal(h['x-private'], undefined);
      const hop = await get(`${lb.url}/hop`);
      assert.equal(hop.headers.get('x-secret'), null);
      assert.equal(hop.headers.get('x-visible'), 'yes');
    });

    it('returns redirects and separate cookies, and no body for 204 and HEAD', async () => {
      const r = await get(`${lb.url}/redirect`);
      assert.equal(r.status, 302);
      assert.equal(r.headers.get('location'), '/elsewhere');
      const k = await fetch(`${lb.url}/cookies`);
      const cookies = k.headers.getSetCookie();
      assert.deepEqual(cookies.slice(0, 2), ['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
      assert.match(cookies[2] ?? '', /^SY=/, "the balancer's sticky cookie is a third, separate header");
      await k.arrayBuffer();
      const n = await get(`${lb.url}/status?code=204`);
      assert.equal(n.status, 204);
      assert.equal(n.text, '');
      const h = await get(`${lb.url}/echo`, { method: 'HEAD' });
      assert.equal(h.status, 200);
      assert.equal(h.text, '');
    });

    it('never corrupts a gzip body', async () => {
      const res = await fetch(`${lb.url}/gzip`, { headers: { 'accept-encoding': 'gzip' } });
      // Node's fetch decodes when the header is present; read the raw bytes through a header check instead.
      const text = await res.text();
      assert.match(text, /hello from [ABC]/);
    });

    it('passes a gzip body byte for byte', { skip: options.skip?.gzipPassthrough }, async () => {
      const { request } = await import('undici');
      const res = await request(`${lb.url}/gzip`, { headers: { 'accept-encoding': 'gzip' } });
      assert.equal(res.headers['content-encoding'], 'gzip');
      const raw = Buffer.from(await res.body.arrayBuffer());
      assert.match(gunzipSync(raw).toString(), /hello from [ABC]/);
    });

    it('streams 64 MiB down and up', async () => {
      const size = 64 * 1024 * 1024;
      const down = await fetch(`${lb.url}/download?bytes=${size}`);
      assert.equal(await countBytes(down.body), size);
      const up = await fetch(`${lb.url}/echo`, { method: 'PUT', body: bytesStream(size), duplex: 'half' } as RequestInit);
      assert.equal(up.status, 200);
      assert.equal((JSON.parse(await up.text()) as { body_bytes: number }).body_bytes, size);
    });

    it('loses no GET when a server dies, and takes it back when it returns', async () => {
      await b.kill();
      let dead = true;
      try {
        let failed = 0;
        for (let i = 0; i < 30; i++) if ((await get(`${lb.url}/echo`)).status !== 200) failed++;
        assert.equal(failed, 0);
        // Marked down at once by the refused connections, and kept down until checks pass again.
        assert.equal((await stats()).servers[b.id].status, 'unhealthy');
        await b.restart();
        dead = false;
        await waitFor('restarted server back in rotation', async () => (await stats()).servers[b.id].status === 'healthy', checksMs(HC.rise) + 2000);
        const seen = new Set<string>();
        for (let i = 0; i < 6; i++) seen.add((await get(`${lb.url}/echo`)).headers.get('x-served-by') ?? '');
        assert.ok(seen.has(b.id));
      } finally {
        // Listening again even when an assertion above failed, so the next test finds three servers.
        if (dead) await b.restart();
      }
    });

    it('removes a server failing its health check within interval × fall + 1 s, and readmits it', async () => {
      c.mode = 'unhealthy';
      await waitFor('marked unhealthy', async () => (await stats()).servers[c.id].status === 'unhealthy', checksMs(HC.fall) + 1000);
      for (let i = 0; i < 6; i++) assert.notEqual((await get(`${lb.url}/echo`)).headers.get('x-served-by'), c.id);
      c.mode = 'ok';
      await waitFor('readmitted', async () => (await stats()).servers[c.id].status === 'healthy', checksMs(HC.rise) + 1000);
    });

    it('reports /api/stats and takes /api/servers writes', async () => {
      const s = await stats();
      assert.equal(s.algorithm, 'round_robin');
      assert.ok(s.total_requests > 0);
      assert.equal(Object.keys(s.servers).length, 3);
      const d = await startBackend('D');
      try {
        const add = await fetch(`${lb.url}/api/servers`, { method: 'POST', body: JSON.stringify({ url: d.url, name: 'D' }), headers: { 'content-type': 'application/json', ...auth } });
        assert.equal(add.status, 201);
        await add.arrayBuffer();
        const seen = new Set<string>();
        for (let i = 0; i < 8; i++) seen.add((await get(`${lb.url}/echo`)).headers.get('x-served-by') ?? '');
        assert.ok(seen.has(d.id), `D never served: ${[...seen]}`);
        const bad = await fetch(`${lb.url}/api/servers`, { method: 'POST', body: JSON.stringify({ host: '127.0.0.1', port: 0 }), headers: auth });
        assert.equal(bad.status, 400);
        assert.equal(bad.headers.get('content-type'), 'application/problem+json');
        await bad.arrayBuffer();
      } finally {
        // Removed even when an assertion above failed, so the next test finds three servers.
        const del = await fetch(`${lb.url}/api/servers/${d.id}`, { method: 'DELETE', headers: auth });
        await del.arrayBuffer();
        await d.close();
        assert.equal(del.status, 200);
      }
    });

    it('keeps a client with the sticky cookie on one server', async () => {
      const first = await fetch(`${lb.url}/echo`);
      await first.arrayBuffer();
      const home = first.headers.get('x-served-by');
      const cookie = first.headers.getSetCookie().find((c) => c.startsWith('SY='))?.split(';')[0];
      assert.ok(home && cookie, 'first answer names its server and sets the cookie');
      const served = new Set<string | null>();
      for (let i = 0; i < 6; i++) served.add((await get(`${lb.url}/echo`, { headers: { cookie } })).headers.get('x-served-by'));
      assert.deepEqual([...served], [home]);
      assert.equal((await stats()).servers[home].sessions >= 1, true);
    });

    it('cancels the upstream request when the client goes away', { skip: options.skip?.clientAbort }, async () => {
      const path = `/delay?ms=5000&cancel=${Date.now()}`;
      const client = new AbortController();
      const pending = fetch(`${lb.url}${path}`, { signal: client.signal }).catch((e: Error) => e);
      await waitFor('request reached a backend', async () => [a, b, c].some((x) => x.hits.paths.includes(path)), 3000);
      client.abort();
      assert.ok((await pending) instanceof Error);
      // Long before the per-attempt timeout (or the backend's 5 s), which would also close it.
      await waitFor('upstream connection closed', async () => [a, b, c].some((x) => x.cancelled.includes(path)), 1200);
    });

    it('answers a Host no URL can hold, and conflicting Content-Lengths, with 400; serves a Host-less HTTP/1.0 request', { skip: options.skip?.badHost }, async () => {
      assert.match(await rawExchange(lb.port, 'GET /a HTTP/1.1\r\nHost: a b\r\n\r\n'), /^HTTP\/1\.[01] 400/);
      const smuggle = 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab';
      assert.match(await rawExchange(lb.port, smuggle), /^HTTP\/1\.[01] 400/);
      assert.match(await rawExchange(lb.port, 'GET /echo HTTP/1.0\r\n\r\n'), /^HTTP\/1\.[01] 200/);
    });

    it('answers an oversized head and a broken chunked body with 4xx, and keeps running', async () => {
      const hostile = [
        `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
        'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      ];
      for (const text of hostile) {
        const line = await rawExchange(lb.port, text);
        assert.ok(line === '' || /^HTTP\/1\.[01] 4\d\d/.test(line), `${JSON.stringify(text.slice(0, 40))} → ${JSON.stringify(line)}`);
      }
      assert.equal((await get(`${lb.url}/echo`)).status, 200, 'still serving');
    });

    it('serves the dashboard and the OpenAPI document', async () => {
      const page = await fetch(`${lb.url}/api/dashboard`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      const html = await page.text();
      assert.match(html, /uPlot/);
      assert.doesNotMatch(html, /<script src=|<link [^>]*href="http/, 'no external assets');
      const doc = (await (await fetch(`${lb.url}/api/openapi.json`)).json()) as { openapi: string };
      assert.equal(doc.openapi, '3.1.0');
    });

    it('serves Prometheus metrics', { skip: PROMETHEUS_MISSING }, async () => {
      const metrics = await fetch(`${lb.url}/api/metrics`);
      assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
      const families = await parsePrometheus(await metrics.text());
      assert.ok(families.some((f) => f.name === 'switchyard_up' && f.samples.length === 3));
    });

    it('answers 503 problem+json at once when every server is down', async () => {
      for (const x of [a, b, c]) x.mode = 'unhealthy';
      await waitFor('all unhealthy', async () => (await stats()).healthy_servers === 0, checksMs(HC.fall) + SLACK_MS);
      const t0 = performance.now();
      const r = await get(`${lb.url}/echo`);
      const ms = performance.now() - t0;
      assert.equal(r.status, 503);
      assert.equal(r.headers.get('content-type'), 'application/problem+json');
      assert.equal((JSON.parse(r.text) as { title: string }).title, 'No server available');
      assert.ok(ms < 500, `took ${ms} ms`);
      for (const x of [a, b, c]) x.mode = 'ok';
      await waitFor('all healthy again', async () => (await stats()).healthy_servers === 3, checksMs(HC.rise) + SLACK_MS);
    });

    it('finishes in-flight requests on SIGTERM, then exits 0', { skip: options.skip?.graceful }, async () => {
      const path = `/delay?ms=600&graceful=${Date.now()}`;
      const slow = fetch(`${lb.url}${path}`).then(async (r) => ({ status: r.status, text: await r.text() }));
      await waitFor('request reached a backend', async () => [a, b, c].some((x) => x.hits.paths.includes(path)), 3000);
      const code = await lb.stop('SIGTERM');
      const r = await slow;
      assert.equal(r.status, 200);
      assert.match(r.text, /delayed_ms/);
      assert.equal(code, 0);
    });
  });
}
