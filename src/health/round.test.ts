import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Backend, HealthMap, HealthRecord, ProbeResult } from '../core/types.ts';
import type { HealthProbe } from './probe.ts';
import { healthRound, intervalFor, type RoundOptions } from './round.ts';
import { ROUND_FLOOR_MS } from './schedule.ts';

const intervals = { intervalMs: 10_000, fastIntervalMs: 2_000, downIntervalMs: 30_000 };
const NOW = 1_000_000;

function backend(port: number): Backend {
  const id = `127.0.0.1:${port}`;
  return { id, url: `http://${id}`, host: '127.0.0.1', port, name: id, weight: 1, backup: false, maxConns: 0 };
}
const [a, b, c] = [backend(8001), backend(8002), backend(8003)];

function options(over: Partial<RoundOptions> = {}): RoundOptions {
  return { ...intervals, rise: 2, fall: 3, jitter: 0, random: () => 0.5, now: () => NOW, ...over };
}

function rec(over: Partial<HealthRecord> = {}): HealthRecord {
  return { status: 'healthy', since: 0, consecutive_failures: 0, consecutive_successes: 0, ...over };
}

function doc(servers: Record<string, HealthRecord>): HealthMap {
  return { updated_at: 1, servers };
}

const pass: ProbeResult = { ok: true, status: 200, latencyMs: 4 };
const fail: ProbeResult = { ok: false, latencyMs: 1, error: 'connect' };

/** A probe that answers from a script per server id (pass when unscripted) and records whom it checked. */
function scripted(script: Record<string, ProbeResult> = {}): HealthProbe & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async check(backend) {
      calls.push(backend.id);
      return script[backend.id] ?? pass;
    },
  };
}

describe('intervalFor', () => {
  const table: Array<[string, HealthRecord, number]> = [
    ['healthy, steady', rec(), intervals.intervalMs],
    ['healthy, passing', rec({ consecutive_successes: 9 }), intervals.intervalMs],
    ['healthy with a failure (may be going down)', rec({ consecutive_failures: 1 }), intervals.fastIntervalMs],
    ['unhealthy, steady', rec({ status: 'unhealthy', consecutive_failures: 7 }), intervals.downIntervalMs],
    ['unhealthy with a success (may be coming back)', rec({ status: 'unhealthy', consecutive_successes: 1 }), intervals.fastIntervalMs],
  ];
  for (const [name, record, want] of table) {
    it(`${name} → ${want} ms`, () => assert.equal(intervalFor(record, intervals), want));
  }
});

describe('healthRound: who is probed', () => {
  it('first round: every server is probed and recorded', async () => {
    const probe = scripted({ [b.id]: fail });
    const r = await healthRound([a, b], undefined, probe, options());
    assert.deepEqual(probe.calls, [a.id, b.id]);
    assert.deepEqual(r.checked, [a.id, b.id]);
    assert.deepEqual(Object.keys(r.health.servers).sort(), [a.id, b.id]);
    assert.equal(r.health.servers[a.id].consecutive_successes, 1);
    assert.equal(r.health.servers[b.id].consecutive_failures, 1);
    assert.equal(r.health.updated_at, NOW);
  });

  it('only due servers are probed; a future check is kept as it was', async () => {
    const later = rec({ consecutive_successes: 3, next_check_at: NOW + ROUND_FLOOR_MS + 1 });
    const prev = doc({
      [a.id]: rec({ next_check_at: NOW - 5 }), // overdue
      [b.id]: later, // not yet
      [c.id]: rec({ next_check_at: NOW + ROUND_FLOOR_MS }), // due within the floor: a timer that fired early runs it
    });
    const probe = scripted();
    const r = await healthRound([a, b, c], prev, probe, options());
    assert.deepEqual(probe.calls, [a.id, c.id]);
    assert.deepEqual(r.checked, [a.id, c.id]);
    assert.equal(r.health.servers[b.id], later, 'the record itself, untouched');
    assert.equal(r.health.servers[a.id].next_check_at, NOW + intervals.intervalMs);
  });

  it('a record without next_check_at is due', async () => {
    const probe = scripted();
    await healthRound([a], doc({ [a.id]: rec() }), probe, options());
    assert.deepEqual(probe.calls, [a.id]);
  });

  it('force probes every server, due or not', async () => {
    const prev = doc({ [a.id]: rec({ next_check_at: NOW + 5_000 }), [b.id]: rec({ next_check_at: NOW + 9_000 }) });
    const probe = scripted();
    const r = await healthRound([a, b], prev, probe, options({ force: true }));
    assert.deepEqual(probe.calls, [a.id, b.id]);
    assert.equal(r.health.servers[a.id].next_check_at, NOW + intervals.intervalMs);
  });

  it('nothing due: nothing probed, the same records, not changed', async () => {
    const prev = doc({ [a.id]: rec({ next_check_at: NOW + ROUND_FLOOR_MS + 1 }), [b.id]: rec({ next_check_at: NOW + ROUND_FLOOR_MS + 2 }) });
    const probe = scripted();
    const r = await healthRound([a, b], prev, probe, options());
    assert.deepEqual(probe.calls, []);
    assert.deepEqual(r.checked, []);
    assert.deepEqual(r.health.servers, prev.servers);
    assert.equal(r.changed, false);
  });

  it('records of servers no longer listed are dropped', async () => {
    const prev = doc({ [a.id]: rec({ next_check_at: NOW + 1 }), [b.id]: rec({ next_check_at: NOW + 1 }) });
    const r = await healthRound([a], prev, scripted(), options());
    assert.deepEqual(Object.keys(r.health.servers), [a.id]);
    assert.equal(r.changed, true, 'the stored map lost a server');
  });

  it('a server replaced by another (same count) is dropped, the new one probed', async () => {
    const prev = doc({ [a.id]: rec({ next_check_at: NOW + 5_000 }), [b.id]: rec({ next_check_at: NOW + 5_000 }) });
    const probe = scripted();
    const r = await healthRound([a, c], prev, probe, options());
    assert.deepEqual(probe.calls, [c.id]);
    assert.deepEqual(Object.keys(r.health.servers).sort(), [a.id, c.id]);
    assert.equal(r.changed, true);
  });
});

describe('healthRound: changed and transitions', () => {
  const o = options(); // rise 2, fall 3
  const table: Array<[string, HealthRecord, ProbeResult, boolean]> = [
    // name, a's previous record, its probe result, changed
    ['healthy, passes past rise', rec({ consecutive_successes: 5 }), pass, false],
    ['healthy, passing at rise already', rec({ consecutive_successes: 2 }), pass, false],
    ['unhealthy, fails past fall', rec({ status: 'unhealthy', consecutive_failures: 5 }), fail, false],
    ['unhealthy, failing at fall already', rec({ status: 'unhealthy', consecutive_failures: 3 }), fail, false],
    ['healthy, first failure (counter below fall)', rec({ consecutive_successes: 5 }), fail, true],
    ['unhealthy, first pass (counter below rise)', rec({ status: 'unhealthy', consecutive_failures: 5 }), pass, true],
    ['healthy, second pass (reaches rise)', rec({ consecutive_successes: 1 }), pass, true],
    ['healthy → unhealthy', rec({ consecutive_failures: 2 }), fail, true],
    ['unhealthy → healthy', rec({ status: 'unhealthy', consecutive_successes: 1 }), pass, true],
  ];
  for (const [name, before, result, changed] of table) {
    it(`${name}: changed ${changed}`, async () => {
      const r = await healthRound([a], doc({ [a.id]: { ...before, last_check: { at: 1, ok: !result.ok, latency_ms: 9 } } }), scripted({ [a.id]: result }), o);
      assert.equal(r.changed, changed);
      assert.notEqual(r.health.servers[a.id].last_check?.at, 1, 'the record itself was updated either way');
    });
  }

  it('a new server makes the round changed', async () => {
    const prev = doc({ [a.id]: rec({ consecutive_successes: 5 }) });
    const r = await healthRound([a, b], prev, scripted(), o);
    assert.equal(r.changed, true);
    assert.deepEqual(r.transitions, [], 'a first record is not a transition');
  });

  it('lists each status change with from, to, reason and time', async () => {
    let t = NOW;
    const prev = doc({
      [a.id]: rec({ consecutive_failures: 2 }),
      [b.id]: rec({ status: 'unhealthy', consecutive_successes: 1, since: 5 }),
      [c.id]: rec({ consecutive_successes: 4 }),
    });
    // The clock moves 10 ms a reading: the round's start, each probe's start (a, b, c), each probe's end.
    const r = await healthRound([a, b, c], prev, scripted({ [a.id]: fail }), options({ now: () => (t += 10) }));
    assert.deepEqual(r.transitions, [
      { kind: 'health', server: a.id, from: 'healthy', to: 'unhealthy', reason: 'check failed 3 time(s): connect', at: NOW + 50 },
      { kind: 'health', server: b.id, from: 'unhealthy', to: 'healthy', reason: 'check passed 2 time(s)', at: NOW + 60 },
    ]);
    assert.equal(r.health.servers[a.id].since, NOW + 50);
    assert.equal(r.health.updated_at, NOW + 80, 'stamped after the last probe');
  });

  it('schedules the next check by the new state', async () => {
    const prev = doc({
      [a.id]: rec({ consecutive_failures: 2 }), // goes down: down interval
      [b.id]: rec({ consecutive_successes: 3 }), // fails once: fast interval
      [c.id]: rec({ status: 'unhealthy', consecutive_failures: 9 }), // passes once: fast interval
    });
    const r = await healthRound([a, b, c], prev, scripted({ [a.id]: fail, [b.id]: fail }), o);
    assert.equal(r.health.servers[a.id].next_check_at, NOW + intervals.downIntervalMs);
    assert.equal(r.health.servers[b.id].next_check_at, NOW + intervals.fastIntervalMs);
    assert.equal(r.health.servers[c.id].next_check_at, NOW + intervals.fastIntervalMs);
  });
});

describe('healthRound: when the next check is due', () => {
  /** A probe that takes `ms` of the injected clock. */
  function slow(clock: { t: number }, ms: number): HealthProbe {
    return {
      async check() {
        clock.t += ms;
        return pass;
      },
    };
  }
  const table: Array<[string, number, number]> = [
    // name, probe duration, next_check_at − the probe's start (interval 10 000 ms)
    ['an interval after the probe started, not after it finished', 300, 10_000],
    ['an instant probe', 0, 10_000],
    ['a probe slower than the interval skips the slot it missed', 12_000, 20_000],
  ];
  for (const [name, ms, want] of table) {
    it(`${name}: probe ${ms} ms → start + ${want}`, async () => {
      const clock = { t: NOW };
      const r = await healthRound([a], undefined, slow(clock, ms), options({ now: () => clock.t }));
      assert.equal(r.health.servers[a.id].next_check_at, NOW + want);
      assert.equal(r.health.servers[a.id].last_check?.at, NOW + ms, 'the check itself is stamped when it finished');
    });
  }
});

describe('healthRound: jitter', () => {
  // spread = 1 + jitter × (2 × random − 1): random 0 → −jitter, 0.5 → none, → 1 → +jitter.
  const table: Array<[number, number, number]> = [
    // jitter, random(), next_check_at − now (interval 10 000 ms)
    [0.1, 0, 9_000],
    [0.1, 0.25, 9_500],
    [0.1, 0.5, 10_000],
    [0.1, 0.75, 10_500],
    [0.1, 0.9999, 10_999.8],
    [0, 0, 10_000],
    [0.5, 0.2, 7_000],
    [0.5, 0.8, 13_000],
    [0.1, 0.12345, 9_246.9], // rounded to whole ms
  ];
  for (const [jitter, random, offset] of table) {
    it(`jitter ${jitter}, random ${random} → now + ${Math.round(offset)}`, async () => {
      const r = await healthRound([a], undefined, scripted(), options({ jitter, random: () => random }));
      assert.equal(r.health.servers[a.id].next_check_at, NOW + Math.round(offset));
    });
  }

  it('each server draws its own random', async () => {
    const draws = [0, 1 - 1e-9, 0.5];
    const r = await healthRound([a, b, c], undefined, scripted(), options({ jitter: 0.2, random: () => draws.shift()! }));
    assert.deepEqual(
      [a, b, c].map((s) => r.health.servers[s.id].next_check_at! - NOW),
      [8_000, 12_000, 10_000],
    );
  });
});

describe('healthRound: concurrency', () => {
  /** A probe whose checks stay open until the test resolves them, counting how many are in flight. */
  function gated() {
    const open: Array<() => void> = [];
    let inFlight = 0;
    let most = 0;
    const probe: HealthProbe = {
      check() {
        inFlight++;
        most = Math.max(most, inFlight);
        return new Promise((resolve) => open.push(() => (inFlight--, resolve(pass))));
      },
    };
    return { probe, open, inFlight: () => inFlight, most: () => most };
  }
  const settle = () => new Promise<void>((r) => setImmediate(r));
  const servers = (n: number) => Array.from({ length: n }, (_, i) => backend(9000 + i));

  const table: Array<[string, number, number | undefined, number]> = [
    // name, servers, concurrency option, cap expected
    ['cap 2 over 5 servers', 5, 2, 2],
    ['cap 1 probes one at a time', 3, 1, 1],
    ['cap above the server count', 3, 8, 3],
    ['default cap is 16', 20, undefined, 16],
  ];
  for (const [name, n, concurrency, cap] of table) {
    it(name, async () => {
      const g = gated();
      const list = servers(n);
      const round = healthRound(list, undefined, g.probe, options({ concurrency }));
      for (let done = 0; done < n; done++) {
        await settle();
        assert.equal(g.inFlight(), Math.min(cap, n - done), `in flight after ${done} finished`);
        g.open.shift()!();
      }
      const r = await round;
      assert.equal(g.most(), cap);
      assert.equal(r.checked.length, n);
      assert.deepEqual(Object.keys(r.health.servers).sort(), list.map((s) => s.id).sort());
    });
  }
});
