/**
 * The connection-cap conformance suite: per-server `max_conns` and the
 * service's bounded queue, on every runtime entry, over HTTP against real
 * backends on 127.0.0.1 that count what they hold at once. One balancer with
 * a service per case, so each runtime starts once. Asserts on counts and
 * answers, never on how long anything took.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startHeldBackend, type HeldBackend } from '../fixtures/held-backend.ts';
import { waitFor } from '../fixtures/wait.ts';
import type { Running } from './harness.ts';
import type { Starter } from './suite.ts';

const TOKEN = 'conformance-token';
const PREFIX = '/_lb';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** One request; the body parsed as JSON when it is. */
function send(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { 'accept-encoding': 'identity', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let body: Answer['body'] = {};
        try {
          body = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

export interface QueueSuiteOptions {
  /** Merged into the balancer's config (a Worker's storage). */
  config?: Record<string, unknown>;
  /** Cases a runtime cannot run, each with its reason. */
  skip?: { clientAbort?: string };
}

interface QueueFigures {
  length: number;
  queued_total: number;
  timed_out: number;
  refused_full: number;
}

export function runQueueConformance(name: string, start: Starter, options: QueueSuiteOptions = {}): void {
  describe(`queue conformance: ${name}`, { timeout: 180_000 }, () => {
    let burst1: HeldBackend, burst2: HeldBackend, slow: HeldBackend, full: HeldBackend, gone: HeldBackend;
    let lb: Running;
    const queue = async (service: string): Promise<QueueFigures> => {
      const r = await send(`${lb.url}${PREFIX}/stats`, { authorization: `Bearer ${TOKEN}` });
      return (r.body as { services: Record<string, { queue: QueueFigures }> }).services[service].queue;
    };
    const queued = (service: string, n: number) => waitFor(`${n} waiting in ${service}'s queue`, () => queue(service), (q) => q.length === n, 15_000);
    const reached = (b: HeldBackend, n: number) => waitFor(`${n} request(s) at ${b.name}`, async () => b.seen.length, (k) => k === n, 15_000);

    before(async () => {
      [burst1, burst2, slow, full, gone] = await Promise.all(['burst1', 'burst2', 'slow', 'full', 'gone'].map((n) => startHeldBackend(n)));
      const capped = (...bs: HeldBackend[]) => bs.map((b) => ({ url: b.url, max_conns: bs.length > 1 ? 2 : 1 }));
      lb = await start({
        load_balancer: { host: '127.0.0.1', port: 0 },
        admin: { prefix: PREFIX, token: TOKEN },
        health_check: { enabled: false },
        timeout: 30,
        services: {
          burst: { servers: capped(burst1, burst2) },
          slow: { servers: capped(slow), queue_timeout: 0.2 },
          full: { servers: capped(full), max_queue: 1, queue_timeout: 30 },
          gone: { servers: capped(gone) },
        },
        routes: ['burst', 'slow', 'full', 'gone'].map((s) => ({ name: s, match: { path_prefix: `/${s}/` }, service: s })),
        ...options.config,
      });
    });
    after(async () => {
      await lb?.stop('SIGKILL');
      await Promise.all([burst1, burst2, slow, full, gone].map((b) => b?.close()));
    });

    it('absorbs a burst of 20 onto two servers capped at max_conns 2: every request 200, at most 2 in flight at each backend', async () => {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => send(`${lb.url}/burst/${i}?ms=300`)));
      assert.deepEqual(answers.map((r) => r.status), Array(20).fill(200), JSON.stringify(answers.filter((r) => r.status !== 200).map((r) => r.body)));
      assert.ok(burst1.maxInFlight <= 2 && burst2.maxInFlight <= 2, `at most 2 in flight at each (${burst1.maxInFlight}, ${burst2.maxInFlight})`);
      assert.equal(burst1.seen.length + burst2.seen.length, 20);
      const q = await queue('burst');
      assert.equal(q.length, 0);
      assert.ok(q.queued_total > 0, 'some requests waited');
      assert.equal(q.timed_out + q.refused_full, 0);
    });

    it('answers 503 problem+json with Retry-After after queue_timeout, and the backend never sees those requests', async () => {
      const first = send(`${lb.url}/slow/first`);
      await reached(slow, 1);
      const late = await Promise.all([1, 2, 3].map((i) => send(`${lb.url}/slow/late/${i}`)));
      for (const r of late) {
        assert.equal(r.status, 503);
        assert.equal(r.headers['content-type'], 'application/problem+json');
        assert.equal(r.headers['retry-after'], '1');
        assert.equal(r.body.type, 'urn:switchyard:problem:queue-timeout');
        assert.match(String(r.body.detail), /queue_timeout \(200 ms\)/);
      }
      const q = await queue('slow');
      assert.deepEqual([q.timed_out, q.length], [3, 0]);
      slow.release();
      assert.equal((await first).status, 200);
      assert.deepEqual(slow.seen, ['/slow/first']);
    });

    it('refuses with 503 at once when max_queue requests already wait', async () => {
      const first = send(`${lb.url}/full/first`);
      await reached(full, 1);
      const second = send(`${lb.url}/full/second`);
      await queued('full', 1);
      const refused = await send(`${lb.url}/full/third`);
      assert.equal(refused.status, 503);
      assert.equal(refused.headers['content-type'], 'application/problem+json');
      assert.equal(refused.headers['retry-after'], '30');
      assert.deepEqual([refused.body.type, refused.body.max_queue], ['urn:switchyard:problem:queue-full', 1]);
      full.release();
      await reached(full, 2);
      full.release();
      assert.deepEqual([(await first).status, (await second).status], [200, 200]);
      assert.deepEqual(full.seen, ['/full/first', '/full/second']);
      assert.equal((await queue('full')).refused_full, 1);
    });

    it('a client that disconnects while queued leaves the queue, and the backend never sees its request', { skip: options.skip?.clientAbort }, async () => {
      const first = send(`${lb.url}/gone/first`);
      await reached(gone, 1);
      const req = request(`${lb.url}/gone/leaving`);
      req.on('error', () => {});
      req.end();
      await queued('gone', 1);
      req.destroy();
      await queued('gone', 0);
      gone.release();
      assert.equal((await first).status, 200);
      // A request after it is served: the one that left took no place on the way.
      const next = send(`${lb.url}/gone/next`);
      await reached(gone, 2);
      gone.release();
      assert.equal((await next).status, 200);
      assert.deepEqual(gone.seen, ['/gone/first', '/gone/next']);
    });
  });
}
