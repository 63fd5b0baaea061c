/**
 * Per-server `max_conns` and the service's queue, in process against real
 * backends on 127.0.0.1 that hold each request until the test lets it go (so
 * every case is decided by events and counts, never by timing).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { TestEnv } from '../test/fixtures/app.ts';
import { startHeldBackend, type HeldBackend } from '../test/fixtures/held-backend.ts';
import { parsePrometheus, PROMETHEUS_MISSING } from '../test/fixtures/prometheus.ts';
import { waitFor } from '../test/fixtures/wait.ts';
import { createApp } from './app.ts';
import { DEFAULT_SERVICE } from './config/service-name.ts';
import { validateConfig } from './config/validate.ts';
import type { QueueReport, StatusReport } from './core/report.ts';
import { createLogger } from './core/log.ts';
import { nodeHmac } from './runtime/hashes.ts';
import { undiciTransport } from './transport/undici.ts';

const transport = undiciTransport();
const local: TestEnv = { clientIp: '127.0.0.1' };
const json = (method: string, body: unknown): RequestInit => ({ method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

const backends: HeldBackend[] = [];
async function held(name: string): Promise<HeldBackend> {
  const b = await startHeldBackend(name);
  backends.push(b);
  return b;
}
after(async () => {
  await Promise.all(backends.map((b) => b.close()));
  await transport.close?.();
});

function make(raw: Record<string, unknown>) {
  const r = validateConfig({ health_check: { enabled: false }, timeout: 10, log_level: 'silent', access_log: 'json', admin: { prefix: '/_lb' }, ...raw }, () => 'test');
  if (!r.ok) throw new Error(r.errors.join('\n'));
  const lines: Array<{ path: string; status: number }> = [];
  const log = { ...createLogger('silent'), line: (l: string) => lines.push(JSON.parse(l)) };
  const made = createApp({ config: r.config, transport, hmac: nodeHmac, log, clientIp: (c) => (c.env as TestEnv).clientIp });
  const stats = async () => (await made.balancer.status()) as StatusReport;
  const queue = async (): Promise<QueueReport> => (await stats()).services[DEFAULT_SERVICE].queue;
  const get = async (path: string, init: RequestInit = {}) => {
    const res = await made.app.request(path, init, local);
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };
  return { ...made, stats, queue, get, lines };
}

const queued = (q: () => Promise<QueueReport>, n: number) => waitFor(`${n} waiting in the queue`, q, (r) => r.length === n);
const reached = (b: HeldBackend, n: number) => waitFor(`${n} request(s) at ${b.name}`, async () => b.seen.length, (k) => k === n);

describe('max_conns and the queue', () => {
  it('absorbs a burst of 20 onto two servers capped at 2: every request 200, never more than 2 in flight at either', async () => {
    const [a, b] = [await held('a'), await held('b')];
    const lb = make({ servers: [{ url: a.url, max_conns: 2 }, { url: b.url, max_conns: 2 }] });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => lb.get(`/burst/${i}?ms=50`)));
    assert.deepEqual(answers.map((r) => r.status), Array(20).fill(200));
    assert.ok(a.maxInFlight <= 2 && b.maxInFlight <= 2, `in flight at most 2 each (a ${a.maxInFlight}, b ${b.maxInFlight})`);
    assert.equal(a.seen.length + b.seen.length, 20);
    const s = await lb.stats();
    const q = s.services[DEFAULT_SERVICE].queue;
    assert.equal(q.length, 0);
    assert.ok(q.queued_total >= 16, `at least 16 of 20 waited (${q.queued_total})`);
    assert.equal(q.timed_out + q.refused_full, 0);
    assert.deepEqual(Object.values(s.servers).map((x) => [x.max_conns, x.active_connections]), [
      [2, 0],
      [2, 0],
    ]);
  });

  it('serves waiters first in, first out, low priority behind the rest', async () => {
    const a = await held('fifo');
    const lb = make({ servers: [{ url: a.url, max_conns: 1 }], priority: { header: 'x-priority', low: ['batch'] } });
    const answers: Array<Promise<unknown>> = [lb.get('/first')];
    await reached(a, 1);
    const sends: Array<[string, Record<string, string>]> = [
      ['/low', { 'x-priority': 'Batch' }],
      ['/second', {}],
      ['/third', {}],
    ];
    for (const [i, [path, headers]] of sends.entries()) {
      answers.push(lb.get(path, { headers }));
      await queued(lb.queue, i + 1);
    }
    assert.equal((await lb.queue()).waiting_low, 1);
    assert.equal(a.inFlight, 1, 'waiting requests never reach the server');
    for (let n = 2; n <= 4; n++) {
      a.release(1);
      await reached(a, n);
    }
    a.release();
    await Promise.all(answers);
    assert.deepEqual(a.seen, ['/first', '/second', '/third', '/low']);
    assert.equal(a.maxInFlight, 1);
  });

  it('refuses at once with 503 problem+json when max_queue requests already wait', async () => {
    const a = await held('full');
    const lb = make({ servers: [{ url: a.url, max_conns: 1 }], max_queue: 1, queue_timeout: 30 });
    const first = lb.get('/first');
    await reached(a, 1);
    const second = lb.get('/second');
    await queued(lb.queue, 1);
    const refused = await lb.get('/third');
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('content-type'), 'application/problem+json');
    assert.equal(refused.headers.get('retry-after'), '30');
    assert.equal(refused.body.type, 'urn:switchyard:problem:queue-full');
    assert.equal(refused.body.max_queue, 1);
    assert.match(String(refused.body.detail), /max_queue 1/);
    a.release();
    await reached(a, 2);
    a.release();
    assert.deepEqual([(await first).status, (await second).status], [200, 200]);
    const q = await lb.queue();
    assert.deepEqual([q.refused_full, q.queued_total, q.length, q.max_queue], [1, 1, 0, 1]);
    assert.deepEqual(a.seen, ['/first', '/second']);
    assert.ok(lb.lines.some((l) => l.path === '/third' && l.status === 503), 'the refusal is in the access log');
  });

  it('max_queue 0 queues nothing: a request at the cap gets 503 at once', async () => {
    const a = await held('noqueue');
    const lb = make({ servers: [{ url: a.url, max_conns: 1 }], max_queue: 0 });
    const first = lb.get('/first');
    await reached(a, 1);
    const refused = await lb.get('/second');
    assert.deepEqual([refused.status, refused.body.type], [503, 'urn:switchyard:problem:queue-full']);
    a.release();
    assert.equal((await first).status, 200);
  });

  it('answers 503 problem+json after queue_timeout, and the server never sees the request', async () => {
    const a = await held('slow');
    const lb = make({ servers: [{ url: a.url, max_conns: 1 }], queue_timeout: 0.2 });
    const first = lb.get('/first');
    await reached(a, 1);
    const late = await lb.get('/late');
    assert.equal(late.status, 503);
    assert.equal(late.headers.get('retry-after'), '1');
    assert.equal(late.body.type, 'urn:switchyard:problem:queue-timeout');
    assert.equal(late.body.queue_timeout_ms, 200);
    assert.match(String(late.body.detail), /queue_timeout \(200 ms\)/);
    const q = await lb.queue();
    assert.deepEqual([q.timed_out, q.length], [1, 0]);
    // It waited (the timer's own granularity may put it a millisecond either side of 200).
    assert.ok(q.wait_ms_max > 0, `waited (${q.wait_ms_max} ms)`);
    a.release();
    assert.equal((await first).status, 200);
    assert.deepEqual(a.seen, ['/first']);
    const s = await lb.stats();
    assert.deepEqual([s.total_requests, s.failed_requests], [2, 1]);
  });

  it('GET /metrics gives the queue length, its timeouts and its waits per service', { skip: PROMETHEUS_MISSING }, async () => {
    const scrape = async (lb: ReturnType<typeof make>) => {
      const families = await parsePrometheus(await (await lb.app.request('/_lb/metrics', {}, local)).text());
      assert.equal(families.find((f) => f.name === 'switchyard_queue_wait_seconds')?.type, 'summary');
      return (name: string) => families.flatMap((f) => f.samples).find((x) => x.name === name && x.labels.service === DEFAULT_SERVICE)?.value;
    };
    const a = await held('metrics');
    const short = make({ servers: [{ url: a.url, max_conns: 1 }], queue_timeout: 0.1 });
    const first = short.get('/first');
    await reached(a, 1);
    assert.equal((await short.get('/late')).status, 503);
    let value = await scrape(short);
    assert.deepEqual([value('switchyard_queue_length'), value('switchyard_queue_timeouts_total'), value('switchyard_queue_wait_seconds_count')], [0, 1, 1]);
    assert.ok(value('switchyard_queue_wait_seconds_sum')! > 0, 'the wait is summed');
    const long = make({ servers: [{ url: a.url, max_conns: 1 }] });
    const busy = long.get('/busy');
    await reached(a, 2);
    const waiting = long.get('/waiting');
    await queued(long.queue, 1);
    value = await scrape(long);
    assert.deepEqual([value('switchyard_queue_length'), value('switchyard_queue_timeouts_total')], [1, 0]);
    a.release();
    await reached(a, 3);
    a.release();
    await Promise.all([first, busy, waiting]);
  });

  it('a client that goes away while queued leaves the queue (logged 499) and never reaches the server', async () => {
    const a = await held('abort');
    const lb = make({ servers: [{ url: a.url, max_conns: 1 }] });
    const first = lb.get('/first');
    await reached(a, 1);
    const client = new AbortController();
    const gone = Promise.resolve(lb.app.request('/gone', { signal: client.signal }, local)).then((r) => r.status, () => 'rejected');
    await queued(lb.queue, 1);
    client.abort();
    await queued(lb.queue, 0);
    await gone;
    a.release();
    assert.equal((await first).status, 200);
    assert.deepEqual(a.seen, ['/first']);
    assert.ok(lb.lines.some((l) => l.path === '/gone' && l.status === 499), `499 in the access log: ${JSON.stringify(lb.lines)}`);
  });

  it('a waiter takes a server added while it waits (POST max_conns reaches the stored server); PATCH changes the cap', async () => {
    const [a, b] = [await held('old'), await held('new')];
    const lb = make({ servers: [{ url: a.url, max_conns: 1 }] });
    const first = lb.get('/first');
    await reached(a, 1);
    const waiting = lb.get('/waiting');
    await queued(lb.queue, 1);
    const added = await lb.get('/_lb/servers', json('POST', { url: b.url, max_conns: 1 }));
    assert.equal(added.status, 201);
    assert.equal((added.body.server as { max_conns: number }).max_conns, 1);
    await reached(b, 1);
    assert.deepEqual(b.seen, ['/waiting']);
    assert.equal(lb.balancer.state.services.services[DEFAULT_SERVICE].servers[1].max_conns, 1, 'stored as max_conns');
    // Raising the cap lets the next waiter onto the busy server at once.
    const third = lb.get('/third');
    await queued(lb.queue, 1);
    const patched = await lb.get(`/_lb/servers/${a.id}`, json('PATCH', { max_conns: 2 }));
    assert.equal((patched.body.server as { max_conns: number }).max_conns, 2);
    await reached(a, 2);
    const uncapped = await lb.get(`/_lb/servers/${a.id}`, json('PATCH', { max_conns: 0 }));
    assert.equal((uncapped.body.server as { max_conns: number }).max_conns, 0);
    assert.equal(lb.balancer.state.services.services[DEFAULT_SERVICE].servers[0].max_conns, undefined, '0 removes the cap');
    const bad = await lb.get(`/_lb/servers/${a.id}`, json('PATCH', { max_conns: -1 }));
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /max_conns/);
    a.release();
    b.release();
    assert.deepEqual([(await first).status, (await waiting).status, (await third).status], [200, 200, 200]);
  });

  it('a waiter whose only server is drained gets 503 no-server at once, not at its timeout', async () => {
    const a = await held('drained');
    const lb = make({ servers: [{ url: a.url, max_conns: 1 }], queue_timeout: 60 });
    const first = lb.get('/first');
    await reached(a, 1);
    const waiting = lb.get('/waiting');
    await queued(lb.queue, 1);
    await lb.get(`/_lb/servers/${a.id}`, json('PATCH', { drain: true }));
    const r = await waiting;
    assert.deepEqual([r.status, r.body.type], [503, 'urn:switchyard:problem:no-server-available']);
    a.release();
    assert.equal((await first).status, 200);
    assert.deepEqual(a.seen, ['/first']);
  });

  it('a service with no server available answers 503 at once, as without a cap', async () => {
    const a = await held('none');
    const lb = make({ servers: [{ url: a.url, max_conns: 1 }] });
    await lb.get(`/_lb/servers/${a.id}`, json('PATCH', { drain: true }));
    const r = await lb.get('/x');
    assert.deepEqual([r.status, r.body.type], [503, 'urn:switchyard:problem:no-server-available']);
    assert.equal((await lb.queue()).queued_total, 0);
  });
});
