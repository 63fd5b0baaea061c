import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { poolSettings } from '../config/pool.ts';
import type { PoolSettings } from '../config/types.ts';
import { CLOSED, type CircuitState } from '../health/circuit.ts';
import { Guards } from './guards.ts';
import { backendFromSpec } from './pool.ts';
import { RuntimeTable } from './records.ts';
import { ServiceHealth } from './service-health.ts';
import type { Backend, BalancerEvent, HealthRecord } from './types.ts';

/** A moment well after the epoch, so "since" and "openedAt" can lie before it. */
const T = 1_000_000;

/** Which parts of the real defaults a case changes. */
interface Over {
  healthCheck?: Partial<PoolSettings['healthCheck']>;
  passive?: Partial<PoolSettings['passive']>;
  circuitBreaker?: Partial<PoolSettings['circuitBreaker']>;
}

/**
 * The real default settings (passive: 1 failure within 10 s ejects, at most
 * 50 % of the pool; circuit: 5 failures open it for 10 s, 1 trial), with `over`.
 */
function settingsWith(over: Over = {}): PoolSettings {
  const d = poolSettings({});
  return {
    ...d,
    healthCheck: { ...d.healthCheck, ...over.healthCheck },
    passive: { ...d.passive, ...over.passive },
    circuitBreaker: { ...d.circuitBreaker, ...over.circuitBreaker },
  };
}

/** Guards over `n` servers a:1, b:1, … of service "web", with the shared health map and the events they emit. */
function setup(over: Over = {}, n = 4, drained: string[] = []) {
  const backends: Backend[] = Array.from({ length: n }, (_, i) => backendFromSpec({ url: `http://${String.fromCharCode(97 + i)}:1`, weight: 1, backup: false }));
  const records = new RuntimeTable();
  records.sync(backends.map((b) => ({ id: b.id, drained: drained.includes(b.id) })));
  const shared: Record<string, HealthRecord> = {};
  const clock = { now: T };
  const health = new ServiceHealth(records, () => shared, () => clock.now);
  const events: BalancerEvent[] = [];
  const settings = settingsWith(over);
  const guards = new Guards(settings, health, records, 'web', (e) => events.push(e));
  const [a, b, c, d] = backends;
  return { guards, records, shared, health, events, backends, settings, clock, a, b, c, d };
}

type Ctx = ReturnType<typeof setup>;

const unhealthy = (since: number): HealthRecord => ({ status: 'unhealthy', since, consecutive_failures: 3, consecutive_successes: 0 });
const healthy = (since: number): HealthRecord => ({ status: 'healthy', since, consecutive_failures: 0, consecutive_successes: 2 });
const open = (openedAt: number): CircuitState => ({ state: 'open', failures: 5, openedAt, trials: 0, passed: 0 });
const halfOpen = (trials: number): CircuitState => ({ state: 'half_open', failures: 5, openedAt: T - 20_000, trials, passed: 0 });
const ejected = (until: number) => ({ failures: [], ejections: 1, ejectedUntil: until });

describe('Guards.available: whether a server may take a new request', () => {
  // [name, settings, drained ids, state of server a, now, panic, available]
  const table: Array<[string, Over, string[], (x: Ctx) => void, number, boolean, boolean]> = [
    ['a fresh server', {}, [], () => {}, T, false, true],
    ['a server the checks call healthy', {}, [], (x) => (x.shared['a:1'] = healthy(T - 5)), T, false, true],
    // Drain.
    ['drained: no new requests', {}, ['a:1'], () => {}, T, false, false],
    ['drained: not even in panic', {}, ['a:1'], () => {}, T, true, false],
    // Health, active checks on: only a check brings it back.
    ['unhealthy, checks on', {}, [], (x) => (x.shared['a:1'] = unhealthy(T - 1)), T, false, false],
    ['unhealthy long ago, checks on: still out (a check must bring it back)', {}, [], (x) => (x.shared['a:1'] = unhealthy(T - 3_600_000)), T, false, false],
    ['unhealthy by a passive mark seen here, checks on', {}, [], (x) => (x.records.get('a:1').mark = unhealthy(T - 1)), T, false, false],
    // Health, active checks off: passive.failTimeoutMs later it is tried again.
    ['unhealthy, checks off, within fail_timeout', { healthCheck: { enabled: false } }, [], (x) => (x.shared['a:1'] = unhealthy(T - 9_999)), T, false, false],
    ['unhealthy, checks off, fail_timeout (10 s) over: back', { healthCheck: { enabled: false } }, [], (x) => (x.shared['a:1'] = unhealthy(T - 10_000)), T, false, true],
    ['unhealthy, checks off, a 2 s fail_timeout over: back', { healthCheck: { enabled: false }, passive: { failTimeoutMs: 2_000 } }, [], (x) => (x.shared['a:1'] = unhealthy(T - 2_000)), T, false, true],
    ['unhealthy, checks off, a 2 s fail_timeout not yet over', { healthCheck: { enabled: false }, passive: { failTimeoutMs: 2_000 } }, [], (x) => (x.shared['a:1'] = unhealthy(T - 1_999)), T, false, false],
    // Passive ejection.
    ['ejected', {}, [], (x) => (x.records.get('a:1').passive = ejected(T + 1)), T, false, false],
    ['ejection over (ejectedUntil is now)', {}, [], (x) => (x.records.get('a:1').passive = ejected(T)), T, false, true],
    ['ejected, but passive health off', { passive: { enabled: false } }, [], (x) => (x.records.get('a:1').passive = ejected(T + 1)), T, false, true],
    // Circuit breaker.
    ['circuit open', {}, [], (x) => (x.records.get('a:1').circuit = open(T - 9_999)), T, false, false],
    ['circuit open, open_duration over: half open, a trial may go', {}, [], (x) => (x.records.get('a:1').circuit = open(T - 10_000)), T, false, true],
    ['half open, its one trial in flight', {}, [], (x) => (x.records.get('a:1').circuit = halfOpen(1)), T, false, false],
    ['half open, 1 of 2 trials in flight', { circuitBreaker: { halfOpenRequests: 2 } }, [], (x) => (x.records.get('a:1').circuit = halfOpen(1)), T, false, true],
    ['circuit open, but the breaker off', { circuitBreaker: { enabled: false } }, [], (x) => (x.records.get('a:1').circuit = open(T - 1)), T, false, true],
    ['half open with trials used, but the breaker off', { circuitBreaker: { enabled: false } }, [], (x) => (x.records.get('a:1').circuit = halfOpen(1)), T, false, true],
    // Panic: only drain counts.
    [
      'panic: unhealthy, ejected and open all ignored',
      {},
      [],
      (x) => {
        x.shared['a:1'] = unhealthy(T - 1);
        x.records.get('a:1').passive = ejected(T + 60_000);
        x.records.get('a:1').circuit = open(T - 1);
      },
      T,
      true,
      true,
    ],
    ['the same server out of panic', {}, [], (x) => {
      x.shared['a:1'] = unhealthy(T - 1);
      x.records.get('a:1').passive = ejected(T + 60_000);
      x.records.get('a:1').circuit = open(T - 1);
    }, T, false, false],
  ];

  for (const [name, over, drained, prepare, now, panic, expected] of table) {
    it(name, () => {
      const x = setup(over, 4, drained);
      prepare(x);
      x.clock.now = now;
      assert.equal(x.guards.available(x.a, now, panic), expected);
      assert.equal(x.guards.available(x.b, now, panic), true, 'another server is not affected');
    });
  }

  it('only asks: checking a half-open circuit many times uses no trial', () => {
    const x = setup();
    x.records.get('a:1').circuit = open(T - 10_000);
    for (let i = 0; i < 5; i++) assert.equal(x.guards.available(x.a, T, false), true);
    assert.equal(x.records.get('a:1').circuit.state, 'open', 'the stored state is not advanced');
    assert.deepEqual(x.events, []);
  });
});

describe('Guards.admit: commits an admission, a trial only when half open', () => {
  it('closed: not a trial, and the state stays the same object', () => {
    const x = setup();
    assert.equal(x.guards.admit(x.a, T), false);
    assert.equal(x.records.get('a:1').circuit, CLOSED);
    assert.deepEqual(x.events, []);
  });

  it('open, its time not up: not a trial, nothing changes', () => {
    const x = setup();
    const c = open(T - 1);
    x.records.get('a:1').circuit = c;
    assert.equal(x.guards.admit(x.a, T), false);
    assert.equal(x.records.get('a:1').circuit, c);
    assert.deepEqual(x.events, []);
  });

  it('open, its time up: a trial; the circuit is half open with it in flight, and that is an event', () => {
    const x = setup();
    x.records.get('a:1').circuit = open(T - 10_000);
    assert.equal(x.guards.admit(x.a, T), true);
    assert.deepEqual(x.records.get('a:1').circuit, { state: 'half_open', failures: 5, openedAt: T - 10_000, trials: 1, passed: 0 });
    assert.deepEqual(x.events, [{ kind: 'circuit', service: 'web', server: 'a:1', from: 'circuit_open', to: 'circuit_half_open', reason: 'open_duration elapsed', at: T }]);
    assert.equal(x.guards.available(x.a, T, false), false, 'its one trial is taken');
  });

  it('half open with 2 trials: two admissions are trials, each counted; no second event', () => {
    const x = setup({ circuitBreaker: { halfOpenRequests: 2 } });
    x.records.get('a:1').circuit = halfOpen(0);
    assert.equal(x.guards.admit(x.a, T), true);
    assert.equal(x.guards.admit(x.a, T), true);
    assert.equal(x.records.get('a:1').circuit.trials, 2);
    assert.equal(x.guards.available(x.a, T, false), false);
    assert.deepEqual(x.events, []);
  });

  it('the breaker off: never a trial, the state untouched', () => {
    const x = setup({ circuitBreaker: { enabled: false } });
    const c = open(T - 10_000);
    x.records.get('a:1').circuit = c;
    assert.equal(x.guards.admit(x.a, T), false);
    assert.equal(x.records.get('a:1').circuit, c);
    assert.deepEqual(x.events, []);
  });
});

/** Failures of `server` at `at`, `n` times, each outside a trial. */
function fail(x: Ctx, server: Backend, n: number, at: number, what = 'status 502', poolSize = x.backends.length): void {
  for (let i = 0; i < n; i++) x.guards.result(server, false, false, at, what, poolSize);
}

describe('Guards.result: the circuit', () => {
  // The circuit alone: passive ejection off so it cannot get in the way.
  const noPassive: Over = { passive: { enabled: false } };

  it('failure_threshold (5) failures in a row open it, with one event naming the last failure', () => {
    const x = setup(noPassive);
    fail(x, x.a, 4, T);
    assert.equal(x.guards.circuit('a:1', T), 'closed');
    assert.deepEqual(x.events, []);
    fail(x, x.a, 1, T + 7, 'timeout');
    assert.equal(x.guards.circuit('a:1', T + 7), 'open');
    assert.equal(x.guards.available(x.a, T + 7, false), false);
    assert.deepEqual(x.events, [{ kind: 'circuit', service: 'web', server: 'a:1', from: 'circuit_closed', to: 'circuit_open', reason: 'failure: timeout', at: T + 7 }]);
    assert.equal(x.guards.circuit('b:1', T + 7), 'closed', 'per server');
  });

  it('a success between failures starts the count again', () => {
    const x = setup(noPassive);
    fail(x, x.a, 4, T);
    x.guards.result(x.a, true, false, T, 'status 200', 4);
    fail(x, x.a, 4, T);
    assert.equal(x.guards.circuit('a:1', T), 'closed');
    fail(x, x.a, 1, T);
    assert.equal(x.guards.circuit('a:1', T), 'open');
  });

  it('a threshold of 2 opens on the second failure', () => {
    const x = setup({ ...noPassive, circuitBreaker: { failureThreshold: 2 } });
    fail(x, x.a, 1, T);
    assert.equal(x.guards.circuit('a:1', T), 'closed');
    fail(x, x.a, 1, T);
    assert.equal(x.guards.circuit('a:1', T), 'open');
  });

  it('open_duration later a successful trial closes it', () => {
    const x = setup(noPassive);
    fail(x, x.a, 5, T);
    const later = T + 10_000;
    assert.equal(x.guards.circuit('a:1', later - 1), 'open');
    assert.equal(x.guards.circuit('a:1', later), 'half_open');
    const trial = x.guards.admit(x.a, later);
    assert.equal(trial, true);
    x.guards.result(x.a, true, trial, later + 30, 'status 200', 4);
    assert.equal(x.guards.circuit('a:1', later + 30), 'closed');
    assert.deepEqual(
      x.events.map((e) => [e.from, e.to, e.reason, e.at]),
      [
        ['circuit_closed', 'circuit_open', 'failure: status 502', T],
        ['circuit_open', 'circuit_half_open', 'open_duration elapsed', later],
        ['circuit_half_open', 'circuit_closed', 'trial requests succeeded', later + 30],
      ],
    );
  });

  it('a failed trial opens it again for another open_duration', () => {
    const x = setup(noPassive);
    fail(x, x.a, 5, T);
    const later = T + 10_000;
    const trial = x.guards.admit(x.a, later);
    x.guards.result(x.a, false, trial, later + 5, 'reset', 4);
    assert.equal(x.guards.circuit('a:1', later + 5), 'open');
    assert.equal(x.guards.circuit('a:1', later + 5 + 9_999), 'open', 'open_duration counts from the failed trial');
    assert.equal(x.guards.circuit('a:1', later + 5 + 10_000), 'half_open');
    assert.deepEqual(x.events.at(-1), { kind: 'circuit', service: 'web', server: 'a:1', from: 'circuit_half_open', to: 'circuit_open', reason: 'failure: reset', at: later + 5 });
  });

  it('with 2 trials, one success leaves it half open; the second closes it', () => {
    const x = setup({ ...noPassive, circuitBreaker: { halfOpenRequests: 2 } });
    fail(x, x.a, 5, T);
    const later = T + 10_000;
    const t1 = x.guards.admit(x.a, later);
    const t2 = x.guards.admit(x.a, later);
    x.guards.result(x.a, true, t1, later + 1, 'status 200', 4);
    assert.equal(x.guards.circuit('a:1', later + 1), 'half_open');
    x.guards.result(x.a, true, t2, later + 2, 'status 200', 4);
    assert.equal(x.guards.circuit('a:1', later + 2), 'closed');
    assert.deepEqual(x.events.map((e) => e.to), ['circuit_open', 'circuit_half_open', 'circuit_closed']);
  });

  it('a late result (admitted before it opened) arriving after open_duration: half open, said to be because the time is up', () => {
    const x = setup(noPassive);
    fail(x, x.a, 5, T);
    const later = T + 10_000;
    x.guards.result(x.a, true, false, later, 'status 200', 4);
    assert.equal(x.guards.circuit('a:1', later), 'half_open', 'a success from before does not close it');
    assert.deepEqual(x.events.at(-1), { kind: 'circuit', service: 'web', server: 'a:1', from: 'circuit_open', to: 'circuit_half_open', reason: 'open_duration elapsed', at: later });
    const y = setup(noPassive);
    fail(y, y.a, 5, T);
    y.guards.result(y.a, false, false, later, 'status 503', 4);
    assert.equal(y.guards.circuit('a:1', later), 'half_open', 'a late failure does not reopen it either');
    assert.equal(y.events.at(-1)!.reason, 'open_duration elapsed');
  });

  it('the breaker off: failures never open it, no circuit events', () => {
    const x = setup({ ...noPassive, circuitBreaker: { enabled: false } });
    fail(x, x.a, 50, T);
    assert.equal(x.records.get('a:1').circuit, CLOSED);
    assert.equal(x.guards.circuit('a:1', T), 'closed');
    assert.deepEqual(x.events, []);
  });
});

describe('Guards.result: passive ejection', () => {
  // Ejection alone: the circuit off so it cannot get in the way.
  const noCircuit: Over = { circuitBreaker: { enabled: false } };

  it('one failure (max_fails 1) ejects for fail_timeout, with an event', () => {
    const x = setup(noCircuit);
    fail(x, x.a, 1, T);
    assert.equal(x.guards.ejectedUntil('a:1', T), T + 10_000);
    assert.equal(x.guards.available(x.a, T + 9_999, false), false);
    assert.equal(x.guards.ejectedUntil('a:1', T + 10_000), null);
    assert.equal(x.guards.available(x.a, T + 10_000, false), true);
    assert.deepEqual(x.events, [
      {
        kind: 'ejection',
        service: 'web',
        server: 'a:1',
        from: 'in_rotation',
        to: 'ejected',
        reason: '1 failure(s) within 10000 ms (last: status 502); ejected for 10000 ms',
        at: T,
      },
    ]);
  });

  it('max_fails 3: two failures within fail_timeout do not eject, the third does', () => {
    const x = setup({ ...noCircuit, passive: { maxFails: 3 } });
    fail(x, x.a, 1, T);
    fail(x, x.a, 1, T + 1_000);
    assert.equal(x.guards.ejectedUntil('a:1', T + 1_000), null);
    assert.equal(x.events.length, 0);
    fail(x, x.a, 1, T + 2_000, 'connect');
    assert.equal(x.guards.ejectedUntil('a:1', T + 2_000), T + 12_000);
    assert.equal(x.events.length, 1);
    assert.equal(x.events[0].reason, '3 failure(s) within 10000 ms (last: connect); ejected for 10000 ms');
  });

  it('max_fails 2: failures further apart than fail_timeout never add up', () => {
    const x = setup({ ...noCircuit, passive: { maxFails: 2 } });
    for (let i = 0; i < 5; i++) fail(x, x.a, 1, T + i * 10_000);
    assert.equal(x.guards.ejectedUntil('a:1', T + 40_000), null);
    assert.deepEqual(x.events, []);
  });

  it('failing again right after an ejection ends ejects for twice as long', () => {
    const x = setup(noCircuit);
    fail(x, x.a, 1, T);
    fail(x, x.a, 1, T + 10_000);
    assert.equal(x.guards.ejectedUntil('a:1', T + 10_000), T + 30_000);
    assert.match(x.events[1].reason, /ejected for 20000 ms$/);
  });

  it('a failure while ejected changes nothing and emits nothing', () => {
    const x = setup(noCircuit);
    fail(x, x.a, 1, T);
    fail(x, x.a, 3, T + 5_000);
    assert.equal(x.guards.ejectedUntil('a:1', T + 5_000), T + 10_000);
    assert.equal(x.events.length, 1);
  });

  it('a success a whole fail_timeout after the ejection forgives it: the next ejection is short again', () => {
    const x = setup(noCircuit);
    fail(x, x.a, 1, T); // ejected until T + 10 s
    x.guards.result(x.a, true, false, T + 20_000, 'status 200', 4);
    fail(x, x.a, 1, T + 20_001);
    assert.equal(x.guards.ejectedUntil('a:1', T + 20_001), T + 30_001);
  });

  it('passive health off: failures never eject, no events', () => {
    const x = setup({ ...noCircuit, passive: { enabled: false } });
    fail(x, x.a, 20, T);
    assert.equal(x.guards.ejectedUntil('a:1', T), null);
    assert.equal(x.guards.available(x.a, T, false), true);
    assert.deepEqual(x.events, []);
  });

  // The ejection cap: at most max_ejection_percent of the pool (at least one) ejected at once.
  // [name, pool size, max_ejection_percent, servers failing in turn, ids ejected after]
  const caps: Array<[string, number, number, number, string[]]> = [
    ['4 servers, 50 %: two of four failing are ejected', 4, 50, 4, ['a:1', 'b:1']],
    ['3 servers, 50 %: one (1.5 rounds down)', 3, 50, 3, ['a:1']],
    ['2 servers, 10 %: still one', 2, 10, 2, ['a:1']],
    ['a single server, 50 %: it may be ejected', 1, 50, 1, ['a:1']],
    ['4 servers, 100 %: all', 4, 100, 4, ['a:1', 'b:1', 'c:1', 'd:1']],
    ['4 servers, 0 %: none', 4, 0, 4, []],
    ['4 servers, 75 %: three', 4, 75, 4, ['a:1', 'b:1', 'c:1']],
  ];
  for (const [name, n, percent, failing, expected] of caps) {
    it(`cap: ${name}`, () => {
      const x = setup({ ...noCircuit, passive: { maxEjectionPercent: percent } }, n);
      for (const b of x.backends.slice(0, failing)) fail(x, b, 1, T);
      const out = x.backends.filter((b) => x.guards.ejectedUntil(b.id, T) !== null).map((b) => b.id);
      assert.deepEqual(out, expected);
      assert.deepEqual(x.events.map((e) => e.server), expected, 'an event for each ejection, none for a capped one');
    });
  }

  it('cap: the pool size given is what the percentage is of', () => {
    // 4 records, but the pool the attempt chose from had 10 servers: 50 % of 10 is 5.
    const x = setup({ ...noCircuit, passive: { maxEjectionPercent: 50 } }, 4);
    for (const b of x.backends) fail(x, b, 1, T, 'status 502', 10);
    assert.equal(x.backends.filter((b) => x.guards.ejectedUntil(b.id, T) !== null).length, 4);
  });

  it('cap: a capped server is ejected once another ejection ends', () => {
    const x = setup({ ...noCircuit, passive: { maxEjectionPercent: 25 } }, 4);
    fail(x, x.a, 1, T);
    fail(x, x.b, 1, T);
    assert.equal(x.guards.ejectedUntil('b:1', T), null, 'capped: a is ejected');
    fail(x, x.b, 1, T + 10_000);
    assert.equal(x.guards.ejectedUntil('b:1', T + 10_000), T + 20_000);
    assert.deepEqual(x.events.map((e) => [e.server, e.at]), [['a:1', T], ['b:1', T + 10_000]]);
  });

  it('the circuit and ejection both follow the same failures (defaults: ejected at 1, open at 5)', () => {
    const x = setup({ passive: { maxFails: 5 } });
    fail(x, x.a, 5, T);
    assert.equal(x.guards.ejectedUntil('a:1', T), T + 10_000);
    assert.equal(x.guards.circuit('a:1', T), 'open');
    assert.deepEqual(x.events.map((e) => e.kind).sort(), ['circuit', 'ejection']);
  });
});

describe('Guards.recovered: a server the checks brought back is readmitted at once', () => {
  it('clears its ejection and open circuit, and its ejection count', () => {
    const x = setup({ passive: { maxFails: 5 } });
    fail(x, x.a, 5, T);
    fail(x, x.a, 5, T + 10_000); // second ejection: 20 s
    assert.equal(x.guards.available(x.a, T + 10_000, false), false);
    const events = x.events.length;
    x.guards.recovered('a:1');
    assert.equal(x.guards.ejectedUntil('a:1', T + 10_000), null);
    assert.equal(x.guards.circuit('a:1', T + 10_000), 'closed');
    assert.equal(x.guards.available(x.a, T + 10_000, false), true);
    assert.equal(x.events.length, events, 'no event: the health transition is the one');
    fail(x, x.a, 5, T + 10_001);
    assert.equal(x.guards.ejectedUntil('a:1', T + 10_001), T + 20_001, 'ejections start again from the first');
  });

  it('a server not listed: nothing happens, no record made', () => {
    const x = setup();
    x.guards.recovered('zz:1');
    assert.equal(x.records.peek('zz:1'), undefined);
  });
});

describe('Guards.healthyPercent: servers up by the checks and not drained (for panic mode)', () => {
  // [name, pool size, drained, state, percent]
  const table: Array<[string, number, string[], (x: Ctx) => void, number]> = [
    ['an empty pool', 0, [], () => {}, 0],
    ['all up', 4, [], () => {}, 100],
    ['no record yet counts as up', 4, [], (x) => (x.shared['a:1'] = healthy(T)), 100],
    ['one unhealthy of four', 4, [], (x) => (x.shared['a:1'] = unhealthy(T)), 75],
    ['one drained, one unhealthy', 4, ['b:1'], (x) => (x.shared['a:1'] = unhealthy(T)), 50],
    ['a passive mark counts as unhealthy', 4, [], (x) => (x.records.get('c:1').mark = unhealthy(T - 1)), 75],
    ['one of three', 3, ['a:1', 'b:1'], () => {}, (1 / 3) * 100],
    [
      'ejection and an open circuit do not count (only checks and drain)',
      4,
      [],
      (x) => {
        x.records.get('a:1').passive = ejected(T + 10_000);
        x.records.get('b:1').circuit = open(T);
      },
      100,
    ],
  ];
  for (const [name, n, drained, prepare, percent] of table) {
    it(name, () => {
      const x = setup({}, n, drained);
      prepare(x);
      assert.equal(x.guards.healthyPercent(x.backends), percent);
    });
  }
});

describe('Guards views: ejectedUntil and circuit', () => {
  it('a server with no record: not ejected, closed', () => {
    const x = setup();
    assert.equal(x.guards.ejectedUntil('zz:1', T), null);
    assert.equal(x.guards.circuit('zz:1', T), 'closed');
  });

  it('circuit reads an open circuit whose time is up as half open, without changing it', () => {
    const x = setup();
    const c = open(T - 10_000);
    x.records.get('a:1').circuit = c;
    assert.equal(x.guards.circuit('a:1', T - 1), 'open');
    assert.equal(x.guards.circuit('a:1', T), 'half_open');
    assert.equal(x.records.get('a:1').circuit, c);
    assert.deepEqual(x.events, []);
  });

  it('ejectedUntil: the end of a standing ejection, null once it is over', () => {
    const x = setup();
    x.records.get('a:1').passive = ejected(T + 500);
    assert.equal(x.guards.ejectedUntil('a:1', T), T + 500);
    assert.equal(x.guards.ejectedUntil('a:1', T + 499), T + 500);
    assert.equal(x.guards.ejectedUntil('a:1', T + 500), null);
  });
});
