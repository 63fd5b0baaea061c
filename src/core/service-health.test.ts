import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startBackend } from '../../test/fixtures/backends.ts';
import { DEFAULT_SERVICE } from '../config/service-name.ts';
import { validateConfig } from '../config/validate.ts';
import { observePassive } from '../health/observe.ts';
import type { HealthProbe } from '../health/probe.ts';
import { memoryStore } from '../storage/memory.ts';
import { fetchTransport } from '../transport/fetch.ts';
import { createBalancer } from './balancer.ts';
import { RuntimeTable } from './records.ts';
import { PASSIVE_MARK_MS, ServiceHealth } from './service-health.ts';
import type { HealthRecord } from './types.ts';

const T = 1_000_000;
const ID = 'a:1';
const RISE = 2;

/** The shared record another writer (the Durable Object, KV's cron round) keeps, checked at `at` (taking 5 ms). */
function shared(over: Partial<HealthRecord> & { ok?: boolean; at?: number } = {}): HealthRecord {
  const { ok = true, at = T - 5_000, ...rest } = over;
  return {
    status: 'healthy',
    since: 0,
    consecutive_failures: ok ? 0 : 1,
    consecutive_successes: ok ? 5 : 0,
    last_check: { at, ok, latency_ms: 5, ...(ok ? { status: 200 } : { error: 'connect' }) },
    ...rest,
  };
}

/** A service's health with a passive mark made at T (a refused connection), and the shared map it reads. */
function setup(before: HealthRecord = shared()) {
  const records = new RuntimeTable();
  records.sync([{ id: ID, drained: false }]);
  const map: Record<string, HealthRecord> = { [ID]: before };
  const clock = { now: T };
  const health = new ServiceHealth(records, () => map, () => clock.now, () => RISE);
  const recovered: string[] = [];
  health.onRecovered = (id) => recovered.push(id);
  health.markPassive(ID, observePassive(before, 'connect refused', T));
  return { records, map, clock, health, recovered };
}

describe('ServiceHealth: a passive mark over a shared map another writer keeps', () => {
  // name, the shared records seen one after another (each read at its check's time + 1 s), the status after each, recovered
  const table: Array<[string, HealthRecord[], string[], boolean]> = [
    ['no newer check: the mark stands', [shared()], ['unhealthy'], false],
    ['a newer failing check below fall (shared: healthy) does not bring it back', [shared({ ok: false, at: T + 2_000 })], ['unhealthy'], false],
    [
      'failing checks below fall, one after another, never bring it back',
      [shared({ ok: false, at: T + 2_000 }), shared({ ok: false, at: T + 4_000, consecutive_failures: 2 })],
      ['unhealthy', 'unhealthy'],
      false,
    ],
    ['one passing check (rise 2) is not enough', [shared({ at: T + 2_000, consecutive_successes: 6 })], ['unhealthy'], false],
    ['rise passing checks after the mark bring it back', [shared({ at: T + 2_000, consecutive_successes: 1 }), shared({ at: T + 4_000, consecutive_successes: 2 })], ['unhealthy', 'healthy'], true],
    [
      'a failing check between passes starts the count again',
      [shared({ at: T + 2_000 }), shared({ ok: false, at: T + 4_000 }), shared({ at: T + 6_000 }), shared({ at: T + 8_000 })],
      ['unhealthy', 'unhealthy', 'unhealthy', 'healthy'],
      true,
    ],
    ['the same check read twice counts once', [shared({ at: T + 2_000 }), shared({ at: T + 2_000 })], ['unhealthy', 'unhealthy'], false],
    ['a check that started before the mark (and finished after it) does not count', [shared({ at: T + 3 }), shared({ at: T + 2_000 })], ['unhealthy', 'unhealthy'], false],
    [
      'the writer took it down itself: its record rules (and its rise)',
      [shared({ ok: false, at: T + 2_000, status: 'unhealthy', since: T + 2_000, consecutive_failures: 3 })],
      ['unhealthy'],
      false,
    ],
    [
      'the writer took it down and brought it back after the mark',
      [shared({ at: T + 6_000, since: T + 6_000, consecutive_successes: 2 })],
      ['healthy'],
      true,
    ],
  ];
  for (const [name, seen, want, recovered] of table) {
    it(name, () => {
      const x = setup();
      const got = seen.map((rec) => {
        x.map[ID] = rec;
        x.clock.now = (rec.last_check?.at ?? T) + 1_000;
        return x.health.record(ID)?.status;
      });
      assert.deepEqual(got, want);
      assert.deepEqual(x.recovered, recovered ? [ID] : []);
    });
  }

  it(`the mark yields to the shared record after ${PASSIVE_MARK_MS} ms at most`, () => {
    const x = setup();
    x.map[ID] = shared({ ok: false, at: T + 2_000 });
    x.clock.now = T + PASSIVE_MARK_MS - 1;
    assert.equal(x.health.record(ID)?.status, 'unhealthy');
    x.clock.now = T + PASSIVE_MARK_MS;
    assert.equal(x.health.record(ID)?.status, 'healthy');
  });

  it('while down, the mark shows the newest check it has seen', () => {
    const x = setup();
    x.map[ID] = shared({ ok: false, at: T + 2_000 });
    x.clock.now = T + 3_000;
    const rec = x.health.record(ID)!;
    assert.equal(rec.status, 'unhealthy');
    assert.deepEqual(rec.last_check, x.map[ID].last_check);
    assert.equal(rec.since, T, 'down since the refused connection');
    assert.equal(rec.reason, 'passive: connect refused');
  });
});

describe('ServiceHealth: a round folds the marks in', () => {
  const backends = [{ id: ID, url: 'http://a:1', host: 'a', port: 1, name: ID, weight: 1, backup: false, maxConns: 0 }];

  it('the round starts from the mark, and clearing drops that mark', () => {
    const x = setup();
    assert.equal(x.health.effective(backends)[ID].status, 'unhealthy');
    x.health.clearMarks();
    assert.equal(x.records.peek(ID)?.mark, undefined);
  });

  it('a mark made while the round ran stands when the round clears the marks it folded', () => {
    const records = new RuntimeTable();
    records.sync([{ id: ID, drained: false }]);
    const map: Record<string, HealthRecord> = { [ID]: shared() };
    const health = new ServiceHealth(records, () => map, () => T, () => RISE);
    const start = health.effective(backends); // the round starts: nothing marked
    assert.equal(start[ID].status, 'healthy');
    health.markPassive(ID, observePassive(map[ID], 'connect refused', T)); // a request is refused meanwhile
    health.clearMarks(); // the round ends
    assert.equal(health.record(ID)?.status, 'unhealthy');
  });
});

describe('ServiceHealth: a refusal while a round runs, with a real balancer and backends', () => {
  it('the server stays down when the round that was probing ends', async () => {
    const [a, b] = await Promise.all([startBackend('A'), startBackend('B')]);
    try {
      const r = validateConfig({ servers: [{ url: a.url }, { url: b.url }], health_check: { enabled: true, rise: 2, fall: 2 }, log_level: 'silent', access_log: 'off' }, () => 'test');
      if (!r.ok) throw new Error(r.errors.join('\n'));
      // A probe held open until the test lets the round finish: every check passes.
      let release!: () => void;
      const gate = new Promise<void>((res) => (release = res));
      let held = true;
      const probe: HealthProbe = { check: async () => (held && (await gate), { ok: true, status: 200, latencyMs: 1 }) };
      const balancer = createBalancer({ config: r.config, store: memoryStore(), transport: fetchTransport(), probe });
      const status = () => balancer.services.get(DEFAULT_SERVICE)!.health.record(b.id)?.status;
      held = false;
      await balancer.tick(); // both checked once: healthy
      held = true;
      const round = balancer.tick(true); // a round starts, its probes held
      await b.kill();
      for (let i = 0; i < 2; i++) assert.equal((await balancer.fetch(new Request('http://lb/echo'), { clientIp: '127.0.0.1' })).status, 200);
      assert.equal(status(), 'unhealthy', 'the refusal marked it down');
      release();
      await round;
      assert.equal(status(), 'unhealthy', 'still down after the round it came in during');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
