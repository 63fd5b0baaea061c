/**
 * The Worker's counter reporter, in process: a real balancer (services,
 * routes, a memory store) over a scripted transport, with injected time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addServer, deleteService, putService, removeServer } from '../../src/core/admin.ts';
import { createBalancer, type Balancer } from '../../src/core/balancer.ts';
import { validateConfig } from '../../src/config/validate.ts';
import { memoryStore } from '../../src/storage/memory.ts';
import type { Transport } from '../../src/transport/types.ts';
import { counterReporter, REPORT_EVERY_MS } from '../../worker/reporter.ts';
import type { CounterDelta } from '../../worker/env.ts';

const T0 = 1_700_000_000_000;

const A = 'http://10.0.0.1:8001';
const B = 'http://10.0.0.2:8002';
const C = 'http://10.0.0.3:8003';

/**
 * A default service (a, b) and a service "api" (c, and a again: the same
 * server in two services), "/v1/" routed to api, the rest to the default.
 * Passive health and the circuit off, so a 500 is counted and nothing else.
 */
function config(raw: Record<string, unknown> = {}) {
  const r = validateConfig(
    {
      load_balancer: { port: 0 },
      health_check: { enabled: false },
      passive_health: { enabled: false },
      circuit_breaker: { enabled: false },
      log_level: 'silent',
      access_log: 'off',
      servers: [{ url: A }, { url: B }],
      services: { api: { servers: [{ url: C }, { url: A }] } },
      routes: [{ match: { path_prefix: '/v1/' }, service: 'api' }],
      ...raw,
    },
    () => 'test',
  );
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.config;
}

/** Answers 200 from every server, or the status `?status=` asks for. */
const transport: Transport = {
  decodesBodies: false,
  async send(req) {
    const status = Number(new URL(req.path, 'http://x').searchParams.get('status') ?? 200);
    return { status, statusText: '', headers: new Headers(), body: null };
  },
};

function setup(raw: Record<string, unknown> = {}) {
  const clock = { now: T0 };
  const balancer = createBalancer({ config: config(raw), store: memoryStore(), transport, now: () => clock.now, random: () => 0 });
  const reporter = counterReporter(balancer, () => clock.now);
  return { balancer, reporter, clock };
}

/** Sends `paths` in turn; the served-by header of each. */
async function send(balancer: Balancer, ...paths: string[]): Promise<Array<string | null>> {
  const out: Array<string | null> = [];
  for (const p of paths) {
    const res = await balancer.fetch(new Request(`http://x${p}`), { clientIp: '127.0.0.1' });
    await res.arrayBuffer();
    out.push(res.headers.get('x-served-by'));
  }
  return out;
}

const delta = (total: number, successful: number, failed: number, servers: CounterDelta['servers'] = {}): CounterDelta => ({ total, successful, failed, servers });

describe('counterReporter: what an isolate counted since its last report', () => {
  it('nothing counted: nothing to report, forced or not', () => {
    const { reporter } = setup();
    assert.equal(reporter.take(), undefined);
    assert.equal(reporter.take(true), undefined);
  });

  it('the first report: every request so far, per server as X-Served-By names it', async () => {
    const { balancer, reporter } = setup();
    const served = await send(balancer, '/', '/', '/?status=500', '/v1/', '/v1/?status=503', '/v1/');
    // Round robin: the default service a, b, a; api c, a, c.
    assert.deepEqual(served, ['10.0.0.1:8001', '10.0.0.2:8002', '10.0.0.1:8001', 'api/10.0.0.3:8003', 'api/10.0.0.1:8001', 'api/10.0.0.3:8003']);
    assert.deepEqual(
      reporter.take(),
      delta(6, 4, 2, {
        '10.0.0.1:8001': { requests: 2, errors: 1 },
        '10.0.0.2:8002': { requests: 1, errors: 0 },
        'api/10.0.0.3:8003': { requests: 2, errors: 0 },
        'api/10.0.0.1:8001': { requests: 1, errors: 1 },
      }),
    );
  });

  it('the next report has only what came since, and only the servers that took some', async () => {
    const { balancer, reporter, clock } = setup();
    await send(balancer, '/', '/', '/v1/');
    assert.ok(reporter.take());
    clock.now += REPORT_EVERY_MS;
    await send(balancer, '/', '/', '/?status=502');
    assert.deepEqual(reporter.take(), delta(3, 2, 1, { '10.0.0.1:8001': { requests: 2, errors: 1 }, '10.0.0.2:8002': { requests: 1, errors: 0 } }));
  });

  it(`at most one report per ${REPORT_EVERY_MS} ms: what comes sooner waits for the next`, async () => {
    const { balancer, reporter, clock } = setup();
    await send(balancer, '/');
    assert.deepEqual(reporter.take(), delta(1, 1, 0, { '10.0.0.1:8001': { requests: 1, errors: 0 } }));
    await send(balancer, '/');
    clock.now = T0 + REPORT_EVERY_MS - 1;
    await send(balancer, '/v1/');
    assert.equal(reporter.take(), undefined, 'too soon');
    clock.now = T0 + REPORT_EVERY_MS;
    assert.deepEqual(reporter.take(), delta(2, 2, 0, { '10.0.0.2:8002': { requests: 1, errors: 0 }, 'api/10.0.0.3:8003': { requests: 1, errors: 0 } }), 'both held back, once');
    assert.equal(reporter.take(true), undefined, 'then nothing is left');
  });

  it('forced: reported at once, and the interval counts from it', async () => {
    const { balancer, reporter, clock } = setup();
    await send(balancer, '/');
    assert.ok(reporter.take());
    clock.now = T0 + 10;
    await send(balancer, '/');
    assert.equal(reporter.take(), undefined);
    assert.deepEqual(reporter.take(true), delta(1, 1, 0, { '10.0.0.2:8002': { requests: 1, errors: 0 } }));
    await send(balancer, '/');
    clock.now = T0 + 10 + REPORT_EVERY_MS - 1;
    assert.equal(reporter.take(), undefined, 'a forced report starts the interval again');
    clock.now = T0 + 10 + REPORT_EVERY_MS;
    assert.deepEqual(reporter.take(), delta(1, 1, 0, { '10.0.0.1:8001': { requests: 1, errors: 0 } }));
  });

  it('an interval with nothing counted reports nothing, and the next counts still arrive', async () => {
    const { balancer, reporter, clock } = setup();
    await send(balancer, '/');
    assert.ok(reporter.take());
    clock.now += REPORT_EVERY_MS;
    assert.equal(reporter.take(), undefined);
    await send(balancer, '/v1/');
    assert.deepEqual(reporter.take(), delta(1, 1, 0, { 'api/10.0.0.3:8003': { requests: 1, errors: 0 } }), 'nothing sent last time, so no wait now');
  });

  it('an answer no server gave (404, no route) counts in the totals alone', async () => {
    const { balancer, reporter } = setup({ servers: undefined }); // no top-level servers: no default service
    assert.deepEqual(await send(balancer, '/nowhere', '/v1/'), [null, 'api/10.0.0.3:8003']);
    assert.deepEqual(reporter.take(), delta(2, 2, 0, { 'api/10.0.0.3:8003': { requests: 1, errors: 0 } }));
  });

  it('the reports add up to the totals and the per-server counts', async () => {
    const { balancer, reporter, clock } = setup();
    const sum = delta(0, 0, 0);
    const paths = ['/', '/v1/', '/?status=500', '/v1/?status=504', '/'];
    for (let i = 0; i < 40; i++) {
      await send(balancer, paths[i % paths.length]);
      clock.now += 700;
      const d = reporter.take(i === 39);
      if (!d) continue;
      sum.total += d.total;
      sum.successful += d.successful;
      sum.failed += d.failed;
      for (const [k, v] of Object.entries(d.servers)) {
        const s = (sum.servers[k] ??= { requests: 0, errors: 0 });
        s.requests += v.requests;
        s.errors += v.errors;
      }
    }
    const { totals } = balancer;
    assert.deepEqual([sum.total, sum.successful, sum.failed], [totals.total, totals.successful, totals.failed]);
    assert.deepEqual([totals.total, totals.failed], [40, 16]);
    const counted: CounterDelta['servers'] = {};
    for (const svc of balancer.services.values()) {
      for (const b of svc.pool.backends) {
        const r = svc.records.get(b.id);
        counted[svc.name === 'default' ? b.id : `${svc.name}/${b.id}`] = { requests: r.requests, errors: r.errors };
      }
    }
    assert.deepEqual(sum.servers, counted);
  });
});

describe('counterReporter: servers and services changing between reports', () => {
  it('a server removed and added back: never a negative count', async () => {
    const { balancer, reporter, clock } = setup();
    await send(balancer, '/', '/', '/', '/'); // a 2, b 2
    assert.ok(reporter.take());
    await send(balancer, '/'); // a: 1 more, then a is removed and added back
    await removeServer(balancer, 'default', '10.0.0.1:8001');
    await addServer(balancer, 'default', { url: A, weight: 1, backup: false });
    await send(balancer, '/', '/'); // b, a (a fresh record)
    clock.now += REPORT_EVERY_MS;
    assert.deepEqual(reporter.take(), delta(3, 3, 0, { '10.0.0.1:8001': { requests: 2, errors: 0 }, '10.0.0.2:8002': { requests: 1, errors: 0 } }));
  });

  it('a removed server: what it took since the last report is still reported, once', async () => {
    const { balancer, reporter, clock } = setup();
    await send(balancer, '/');
    assert.ok(reporter.take());
    await send(balancer, '/', '/?status=500'); // b, then a (an error)
    await removeServer(balancer, 'default', '10.0.0.1:8001');
    clock.now += REPORT_EVERY_MS;
    assert.deepEqual(reporter.take(), delta(2, 1, 1, { '10.0.0.1:8001': { requests: 1, errors: 1 }, '10.0.0.2:8002': { requests: 1, errors: 0 } }));
    await send(balancer, '/');
    clock.now += REPORT_EVERY_MS;
    assert.deepEqual(reporter.take(), delta(1, 1, 0, { '10.0.0.2:8002': { requests: 1, errors: 0 } }), 'the removed server is not reported again');
  });

  it('a service deleted and made again under the same name: its servers count from zero', async () => {
    const { balancer, reporter, clock } = setup({ routes: [] });
    await send(balancer, '/');
    assert.ok(reporter.take(true));
    await putService(balancer, 'api', [{ url: C, weight: 1, backup: false }], {});
    const api = balancer.services.get('api')!;
    await api.fetch(new Request('http://x/'), { clientIp: '127.0.0.1' }, '/');
    await api.fetch(new Request('http://x/'), { clientIp: '127.0.0.1' }, '/');
    clock.now += REPORT_EVERY_MS;
    assert.deepEqual(reporter.take(), delta(2, 2, 0, { 'api/10.0.0.3:8003': { requests: 2, errors: 0 } }));
    await deleteService(balancer, 'api');
    await putService(balancer, 'api', [{ url: C, weight: 1, backup: false }], {});
    await balancer.services.get('api')!.fetch(new Request('http://x/'), { clientIp: '127.0.0.1' }, '/');
    clock.now += REPORT_EVERY_MS;
    assert.deepEqual(reporter.take(), delta(1, 1, 0, { 'api/10.0.0.3:8003': { requests: 1, errors: 0 } }));
  });
});
