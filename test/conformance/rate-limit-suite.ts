/**
 * The rate-limit and concurrency-cap conformance suite, on every runtime
 * entry, over HTTP against real backends on 127.0.0.1, with the memory
 * store. Clients are told apart by their source address (127.0.1.x), as the
 * balancer sees a real client's. What the backends received is counted, not
 * only the statuses.
 */
import assert from 'node:assert/strict';
import { Agent, request, type ClientRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startBackend, type TestBackend } from '../fixtures/backends.ts';
import { startHeldBackend, type HeldBackend } from '../fixtures/held-backend.ts';
import { waitFor } from '../fixtures/wait.ts';
import type { Running } from './harness.ts';
import type { Starter } from './suite.ts';

const TOKEN = 'conformance-limits-token';
const PREFIX = '/_lb';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

function send(agent: Agent, url: string, options: { method?: string; headers?: Record<string, string>; onRequest?: (r: ClientRequest) => void } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    options.onRequest?.(req);
    req.end();
  });
}

/** An agent whose requests come from `ip` (127.0.0.1 or 127.0.1.x). */
const from = (ip: string, maxSockets = 8) => new Agent({ keepAlive: true, maxSockets, localAddress: ip } as ConstructorParameters<typeof Agent>[0]);

export interface RateLimitSuiteOptions {
  /** Merged into the balancer's config (the workerd runs choose their state storage). */
  config?: Record<string, unknown>;
  /** Cases this runtime cannot run, each with the reason. */
  skip?: { clientAbort?: string; midBody?: string };
}

interface LimitStats {
  rate_limits: Array<{ name: string; scope: string; allowed: number; refused: number; store: string; exactness: string }>;
  concurrency_limits: Array<{ name: string; scope: string; in_progress: number; refused: number }>;
}

export function runRateLimitConformance(name: string, start: Starter, options: RateLimitSuiteOptions = {}): void {
  describe(`rate-limit conformance: ${name}`, { timeout: 180_000 }, () => {
    let plain: TestBackend, limited: TestBackend, held: HeldBackend;
    let lb: Running;
    const adminAgent = from('127.0.0.1');
    const agents: Agent[] = [adminAgent];
    const agent = (ip: string, maxSockets?: number) => {
      const a = from(ip, maxSockets);
      agents.push(a);
      return a;
    };
    const stats = async () => JSON.parse((await send(adminAgent, `${lb.url}${PREFIX}/stats`, { headers: { authorization: `Bearer ${TOKEN}` } })).text) as LimitStats;
    const cap = async (n: string) => (await stats()).concurrency_limits.find((c) => c.name === n)!;
    const get = (a: Agent, path: string, headers?: Record<string, string>) => send(a, `${lb.url}${path}`, { headers });

    before(async () => {
      [plain, limited, held] = await Promise.all([startBackend('plain'), startBackend('limited'), startHeldBackend('held')]);
      lb = await start({
        load_balancer: { host: '127.0.0.1', port: 0 },
        admin: { prefix: PREFIX, token: TOKEN },
        health_check: { enabled: false },
        timeout: 60,
        services: {
          plain: { servers: [{ url: plain.url }] },
          limited: { servers: [{ url: limited.url }], rate_limit: { name: 'svc', rate: '1/m', burst: 2 } },
          held: { servers: [{ url: held.url }] },
        },
        routes: [
          { name: 'burst', match: { path_prefix: '/burst' }, service: 'plain', rate_limit: { name: 'burst', rate: '10/s', burst: 20 } },
          { name: 'keyed', match: { path_prefix: '/keyed' }, service: 'plain', rate_limit: { name: 'keyed', rate: '1/m', burst: 3, key: 'header:x-api-key' } },
          { name: 'exempt', match: { path_prefix: '/exempt' }, service: 'plain', rate_limit: { name: 'exempt', rate: '1/m', burst: 1, exempt: ['127.0.0.1'] } },
          { name: 'headers', match: { path_prefix: '/headers' }, service: 'plain', rate_limit: { name: 'with-headers', rate: '1/m', burst: 5, headers: true } },
          { name: 'svc', match: { path_prefix: '/svc' }, service: 'limited' },
          { name: 'held', match: { path_prefix: '/held' }, service: 'held', max_concurrent: { name: 'held', limit: 2 } },
          { name: 'download', match: { path_prefix: '/download' }, service: 'plain', max_concurrent: { name: 'download', limit: 1 } },
          { name: 'rest', match: { path_prefix: '/' }, service: 'plain' },
        ],
        ...options.config,
      });
    });
    after(async () => {
      held?.release();
      for (const a of agents) a.destroy();
      await lb?.stop();
      await Promise.all([plain?.close(), limited?.close(), held?.close()]);
    });

    it('a burst of 200 against 10/s burst 20 lets through 20 and what refills, the rest 429 with headers', async () => {
      const a = agent('127.0.1.10', 10);
      const before = plain.hits.total;
      const t0 = performance.now();
      const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => get(a, `/burst/${i}`)));
      const seconds = (performance.now() - t0) / 1000;
      const allowed = answers.filter((r) => r.status === 200).length;
      // Tolerance: the whole burst, plus one per 100 ms the burst took (measured here, so a slow machine only widens it), plus one for the instants at either end.
      assert.ok(allowed >= 20, `allowed ${allowed}`);
      assert.ok(allowed <= 20 + Math.ceil(10 * seconds) + 1, `allowed ${allowed} in ${seconds.toFixed(2)} s`);
      assert.equal(plain.hits.total - before, allowed, 'the backend got exactly the allowed requests');
      const refused = answers.filter((r) => r.status !== 200);
      assert.equal(refused.length, 200 - allowed);
      for (const r of refused) {
        assert.equal(r.status, 429, r.text);
        assert.ok(Number(r.headers['retry-after']) >= 1, `retry-after ${r.headers['retry-after']}`);
        assert.equal(r.headers['ratelimit-policy'], '"burst";q=20;w=2');
        assert.match(String(r.headers.ratelimit), /^"burst";r=0;t=\d+$/);
        assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
        const p = JSON.parse(r.text) as { type: string; limit: string; rate: string; key: string };
        assert.deepEqual([p.type, p.limit, p.rate, p.key], ['urn:switchyard:problem:rate-limited', 'burst', '10/s', 'ip']);
      }
      const s = (await stats()).rate_limits.find((r) => r.name === 'burst')!;
      assert.deepEqual([s.scope, s.store, s.exactness, s.allowed, s.refused], ['route:burst', 'memory', 'per process', allowed, 200 - allowed]);
    });

    it('a key per header keeps two clients apart', async () => {
      const a = agent('127.0.1.11');
      const before = plain.hits.total;
      const by = async (key: string, n: number) => {
        const out: number[] = [];
        for (let i = 0; i < n; i++) out.push((await get(a, '/keyed', { 'x-api-key': key })).status);
        return out;
      };
      assert.deepEqual(await by('alice', 4), [200, 200, 200, 429]);
      assert.deepEqual(await by('bob', 3), [200, 200, 200]);
      assert.deepEqual(await by('alice', 1), [429]);
      assert.equal(plain.hits.total - before, 6);
    });

    it('exempt lets 127.0.0.1 through; another address is limited', async () => {
      const before = plain.hits.total;
      const local = agent('127.0.0.1');
      for (let i = 0; i < 5; i++) assert.equal((await get(local, '/exempt')).status, 200);
      const other = agent('127.0.1.12');
      assert.deepEqual([(await get(other, '/exempt')).status, (await get(other, '/exempt')).status], [200, 429]);
      assert.equal(plain.hits.total - before, 6);
    });

    it('headers: true puts RateLimit-Policy and RateLimit on a 200', async () => {
      const r = await get(agent('127.0.1.13'), '/headers');
      assert.equal(r.status, 200);
      assert.equal(r.headers['ratelimit-policy'], '"with-headers";q=5;w=300');
      assert.equal(r.headers.ratelimit, '"with-headers";r=4;t=60');
      const plainAnswer = await get(agent('127.0.1.13'), '/other');
      assert.equal(plainAnswer.headers.ratelimit, undefined);
    });

    it('a route limit and a service limit each apply only to their own traffic', async () => {
      const a = agent('127.0.1.14');
      const [p0, l0] = [plain.hits.total, limited.hits.total];
      // The service's own limit: its traffic only.
      assert.deepEqual([(await get(a, '/svc')).status, (await get(a, '/svc')).status, (await get(a, '/svc')).status], [200, 200, 429]);
      // The exempt route's limit, used up by this client, does not touch other routes.
      assert.deepEqual([(await get(a, '/exempt')).status, (await get(a, '/exempt')).status], [200, 429]);
      for (let i = 0; i < 5; i++) assert.equal((await get(a, '/other')).status, 200);
      assert.equal(limited.hits.total - l0, 2);
      assert.equal(plain.hits.total - p0, 6);
      const s = (await stats()).rate_limits.find((r) => r.name === 'svc')!;
      assert.equal(s.scope, 'service:limited');
    });

    it('max_concurrent: limit+1 at once from one client give exactly one 429; a finished request gives its place back', async () => {
      const a = agent('127.0.1.15');
      const seen = held.seen.length;
      const pending = [0, 1, 2].map((i) => get(a, `/held/${i}`));
      const first = await Promise.race(pending);
      assert.equal(first.status, 429, first.text);
      assert.equal(JSON.parse(first.text).type, 'urn:switchyard:problem:too-many-in-progress');
      await waitFor('two requests held at the backend', async () => held.inFlight, (n) => n === 2);
      assert.equal(held.seen.length - seen, 2);
      assert.deepEqual([(await cap('held')).in_progress, (await cap('held')).refused], [2, 1]);
      // Another client is not held up by this one's cap.
      const other = get(agent('127.0.1.16'), '/held/other');
      await waitFor('the other client reaches the backend', async () => held.inFlight, (n) => n === 3);
      held.release(1);
      await waitFor('a finished request gives its place back', () => cap('held'), (c) => c.in_progress === 2);
      const again = get(a, '/held/again');
      await waitFor('the freed place is taken', async () => held.seen.length - seen, (n) => n === 4);
      held.release();
      const statuses = (await Promise.all([...pending, other, again])).map((r) => r.status);
      assert.deepEqual(statuses.sort(), [200, 200, 200, 200, 429]);
      await waitFor('every place given back', () => cap('held'), (c) => c.in_progress === 0);
    });

    it('a client that disconnects while its request is held gives its place back', { skip: options.skip?.clientAbort }, async () => {
      const a = agent('127.0.1.17');
      let req: ClientRequest | undefined;
      const gone = send(a, `${lb.url}/held/gone`, { onRequest: (r) => (req = r) }).catch(() => 'disconnected');
      await waitFor('the request held at the backend', async () => held.seen.at(-1), (p) => p === '/held/gone');
      assert.equal((await cap('held')).in_progress, 1);
      req!.destroy();
      await gone;
      await waitFor('the held place given back', () => cap('held'), (c) => c.in_progress === 0);
    });

    it('a client that disconnects mid-body gives its place back', { skip: options.skip?.midBody }, async () => {
      const a = agent('127.0.1.18');
      await new Promise<void>((resolve, reject) => {
        const r = request(`${lb.url}/download?bytes=100000000`, { agent: a, headers: { 'accept-encoding': 'identity' } }, (res) => {
          assert.equal(res.statusCode, 200);
          res.once('data', () => {
            r.destroy();
            resolve();
          });
        });
        r.on('error', (e) => (r.destroyed ? undefined : reject(e)));
        r.end();
      });
      await waitFor('the download\'s place given back', () => cap('download'), (c) => c.in_progress === 0);
      assert.equal((await get(a, '/download?bytes=10')).status, 200);
    });
  });
}
