/**
 * The health-check cadence with injected time: the process timer and the
 * Durable Object's alarm, driving a real balancer whose probe takes time on
 * the same clock.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateConfig } from '../config/validate.ts';
import { createBalancer } from '../core/balancer.ts';
import type { Backend, ProbeResult } from '../core/types.ts';
import { memoryStore } from '../storage/memory.ts';
import type { Transport } from '../transport/types.ts';
import type { HealthProbe } from './probe.ts';
import { alarmAt, ROUND_CEILING_MS, ROUND_FLOOR_MS } from './schedule.ts';
import { startHealthTimer, type RoundSource } from './timer.ts';

const T0 = 1_700_000_000_000;
const unused: Transport = {
  decodesBodies: false,
  send: () => Promise.reject(new Error('the probe is injected')),
};

/** A clock the test moves, and timers on it that fire `earlyMs` before their time (as a timer armed late in an event-loop turn does). */
function fakeTime(earlyMs = 0) {
  const clock = { t: T0 };
  let pending: { at: number; run: () => void } | undefined;
  let armed = 0;
  return {
    clock,
    now: () => clock.t,
    setTimeout: (run: () => void, ms: number) => {
      armed++;
      pending = { at: clock.t + ms, run };
      return pending;
    },
    clearTimeout: (h: unknown) => {
      if (h === pending) pending = undefined;
    },
    /** Waits for the round under way to arm the next timer, fires it, and waits for the round it starts to arm the next. */
    async fire(): Promise<void> {
      for (let i = 0; i < 1_000 && !pending; i++) await new Promise((r) => setImmediate(r));
      const p = pending;
      assert.ok(p, 'a timer is armed');
      pending = undefined;
      clock.t = Math.max(clock.t, p.at - earlyMs);
      const before = armed;
      p.run();
      for (let i = 0; i < 1_000 && armed === before; i++) await new Promise((r) => setImmediate(r));
      assert.ok(armed > before, 'the round armed the next timer');
    },
    next: () => pending?.at,
  };
}

/** A probe on `clock` that takes `ms` and records when each server's checks started. */
function timedProbe(clock: { t: number }, ms: number): HealthProbe & { starts: Map<string, number[]> } {
  const starts = new Map<string, number[]>();
  return {
    starts,
    async check(b: Backend): Promise<ProbeResult> {
      starts.set(b.id, [...(starts.get(b.id) ?? []), clock.t]);
      clock.t += ms;
      return { ok: true, status: 200, latencyMs: ms };
    },
  };
}

function balancerWith(healthCheck: Record<string, unknown>, servers: number, clock: { t: number }, probe: HealthProbe, random = () => 0.5) {
  const r = validateConfig(
    {
      servers: Array.from({ length: servers }, (_, i) => ({ url: `http://127.0.0.1:${9001 + i}` })),
      health_check: { enabled: true, ...healthCheck },
      log_level: 'silent',
      access_log: 'off',
    },
    () => 'test',
  );
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return createBalancer({ config: r.config, store: memoryStore(), transport: unused, probe, now: () => clock.t, random });
}

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]);

/** A seeded random in [0, 1) (mulberry32), so a jitter case is the same every run. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('the process timer: checks run when they are due', () => {
  // name, probe duration, how early timers fire
  const table: Array<[string, number, number]> = [
    ['a 30 ms probe, exact timers', 30, 0],
    ['a 30 ms probe, timers 2 ms early', 30, 2],
    ['a 300 ms probe, timers 5 ms early', 300, 5],
  ];
  for (const [name, probeMs, earlyMs] of table) {
    it(`interval 1 s, jitter 0 (${name}): every gap is 1 s`, async () => {
      const time = fakeTime(earlyMs);
      const probe = timedProbe(time.clock, probeMs);
      const balancer = balancerWith({ interval: 1, jitter: 0 }, 1, time.clock, probe);
      const timer = startHealthTimer(balancer, { ...time, onError: (e) => assert.fail(String(e)) });
      while (time.clock.t < T0 + 10_500) await time.fire();
      timer.stop();
      const got = gaps([...probe.starts.values()][0]);
      assert.ok(got.length >= 9, `${got.length + 1} checks in 10.5 s`);
      for (const gap of got) assert.ok(Math.abs(gap - 1_000) <= ROUND_FLOOR_MS, `gaps ${got.join(', ')}`);
    });
  }

  it('three servers with jitter 0.2: each is checked every interval ± jitter, never twice as late', async () => {
    const time = fakeTime(2);
    const probe = timedProbe(time.clock, 20);
    const balancer = balancerWith({ interval: 1, jitter: 0.2 }, 3, time.clock, probe, seeded(7));
    const timer = startHealthTimer(balancer, { ...time, onError: (e) => assert.fail(String(e)) });
    while (time.clock.t < T0 + 20_000) await time.fire();
    timer.stop();
    for (const [id, starts] of probe.starts) {
      for (const gap of gaps(starts)) assert.ok(gap >= 800 - ROUND_FLOOR_MS && gap <= 1_200 + ROUND_FLOOR_MS, `${id}: gaps ${gaps(starts).join(', ')}`);
    }
  });

  it('sleeps until the earliest check rather than a tick per interval', async () => {
    const time = fakeTime();
    const probe = timedProbe(time.clock, 0);
    // Defaults: interval 10 s, fast_interval 2 s. A healthy pool needs a round every 10 s, not every 2 s.
    const balancer = balancerWith({ interval: 10, jitter: 0 }, 2, time.clock, probe);
    let rounds = 0;
    const counting: RoundSource = { nextCheckAt: () => balancer.nextCheckAt(), tick: () => (rounds++, balancer.tick()) };
    const timer = startHealthTimer(counting, { ...time, ceilingMs: Infinity, onError: (e) => assert.fail(String(e)) });
    while (time.clock.t < T0 + 60_000) await time.fire();
    timer.stop();
    assert.equal(rounds, 7, 'at 0, 10, 20, … 60 s');
    assert.deepEqual(gaps([...probe.starts.values()][0]), Array(6).fill(10_000));
  });
});

describe('the process timer: the loop itself', () => {
  /** A source whose due time the test sets, counting rounds. */
  function source(due: number) {
    const s = { due, rounds: 0, fail: false };
    const src: RoundSource = {
      nextCheckAt: () => s.due,
      tick: async () => {
        s.rounds++;
        if (s.fail) throw new Error('store down');
      },
    };
    return { s, src };
  }

  it('a server added while it sleeps is checked within the ceiling', async () => {
    const time = fakeTime();
    const { s, src } = source(Infinity); // nothing checks yet
    const timer = startHealthTimer(src, { ...time, onError: () => {} });
    await new Promise((r) => setImmediate(r));
    assert.equal(time.next(), T0 + ROUND_CEILING_MS, 'nothing due: looks again at the ceiling');
    s.due = -Infinity; // a service with a new server arrived
    await time.fire();
    assert.equal(s.rounds, 1);
    timer.stop();
  });

  it('an overdue check never makes a busy loop', async () => {
    const time = fakeTime();
    const { s, src } = source(T0 - 60_000); // stays overdue (the round cannot write, say)
    s.fail = true;
    const errors: unknown[] = [];
    const timer = startHealthTimer(src, { ...time, onError: (e) => errors.push(e) });
    for (let i = 0; i < 5; i++) await time.fire();
    timer.stop();
    assert.equal(time.clock.t, T0 + 5 * ROUND_FLOOR_MS, 'a round every floor, no sooner');
    assert.equal(errors.length, 6, 'each failed round reported, the timer goes on');
  });

  it('stop: no round after it', async () => {
    const time = fakeTime();
    const { s, src } = source(-Infinity);
    const timer = startHealthTimer(src, { ...time, onError: () => {} });
    await new Promise((r) => setImmediate(r));
    timer.stop();
    assert.equal(time.next(), undefined, 'the armed timer is cleared');
    assert.equal(s.rounds, 1);
  });
});

describe('the Durable Object alarm: armed for the earliest due check', () => {
  it('interval 2 s with jitter 0.1: gaps near 2 s, never 4 s', async () => {
    const clock = { t: T0 };
    const probe = timedProbe(clock, 15);
    const balancer = balancerWith({ interval: 2, jitter: 0.1 }, 3, clock, probe, seeded(42));
    // What alarm() does: a round of the due checks, then the alarm re-armed; the alarm fires at its time.
    let next: number | undefined = clock.t;
    while (next !== undefined && clock.t < T0 + 60_000) {
      clock.t = Math.max(clock.t, next);
      await balancer.tick();
      next = alarmAt(balancer.nextCheckAt(), clock.t);
    }
    for (const [id, starts] of probe.starts) {
      const got = gaps(starts);
      assert.ok(got.length >= 25, `${id}: ${got.length + 1} checks in 60 s`);
      for (const gap of got) assert.ok(gap >= 1_800 && gap <= 2_200 + ROUND_FLOOR_MS, `${id}: gaps ${got.join(', ')}`);
    }
  });

  it('nothing checks: no alarm', () => {
    assert.equal(alarmAt(Infinity, T0), undefined);
  });
});
