import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { poolSettings } from '../config/pool.ts';
import type { PolicyOptions } from '../policies/types.ts';
import { backendFromSpec, createPool, type Pool } from './pool.ts';
import { RuntimeTable } from './records.ts';
import { ServiceHealth } from './service-health.ts';
import { slowStart } from './slow-start.ts';
import type { Backend, HealthRecord } from './types.ts';

/** When server a came back (a multiple of the 250 ms step, so steps are easy to name). */
const SINCE = 1_000_000;
const RAMP_MS = 10_000;

const healthy = (since: number): HealthRecord => ({ status: 'healthy', since, consecutive_failures: 0, consecutive_successes: 2 });
const unhealthy = (since: number): HealthRecord => ({ status: 'unhealthy', since, consecutive_failures: 3, consecutive_successes: 0 });

/** Servers a:1 (weight 2), b:1 (weight 1) and backup c:1 (weight 4); health as `shared` says. */
function setup(slowStartMs = RAMP_MS, shared: Record<string, HealthRecord> = {}) {
  const settings = { ...poolSettings({}), slowStartMs };
  const backends: Backend[] = [
    backendFromSpec({ url: 'http://a:1', weight: 2, backup: false }),
    backendFromSpec({ url: 'http://b:1', weight: 1, backup: false }),
    backendFromSpec({ url: 'http://c:1', weight: 4, backup: true }),
  ];
  const records = new RuntimeTable();
  records.sync(backends.map((b) => ({ id: b.id, drained: false })));
  const clock = { now: SINCE };
  const health = new ServiceHealth(records, () => shared, () => clock.now);
  const options: PolicyOptions = { load: records, random: () => 0, hash: { ...settings.consistentHash }, maglevTableSize: 65537 };
  const box = { base: createPool(backends, settings.algorithm, options) };
  const ramp = slowStart(settings, health, () => box.base, options);
  const [a, b, c] = backends;
  return { ramp, box, backends, shared, options, settings, clock, a, b, c };
}

const weights = (p: Pool) => Object.fromEntries(p.backends.map((b) => [b.id, b.weight]));

describe('slowStart.weight: linear from 5 % to full over slow_start', () => {
  // [name, slow_start ms, a's health record (none: undefined), now, a's weight (configured 2)]
  const table: Array<[string, number, HealthRecord | undefined, number, number]> = [
    ['the moment it came back: 5 %', RAMP_MS, healthy(SINCE), SINCE, 0.1],
    ['2.5 % of the way: still the 5 % floor', RAMP_MS, healthy(SINCE), SINCE + 250, 0.1],
    ['5 % of the way: 5 %', RAMP_MS, healthy(SINCE), SINCE + 500, 0.1],
    ['10 % of the way: 10 %', RAMP_MS, healthy(SINCE), SINCE + 1_000, 0.2],
    ['half way: half', RAMP_MS, healthy(SINCE), SINCE + 5_000, 1],
    ['a millisecond short: just under full', RAMP_MS, healthy(SINCE), SINCE + 9_999, 2 * 0.9999],
    ['slow_start over: full', RAMP_MS, healthy(SINCE), SINCE + RAMP_MS, 2],
    ['long after: full', RAMP_MS, healthy(SINCE), SINCE + 3_600_000, 2],
    ['a shorter slow_start: 1 s of 2 s is half', 2_000, healthy(SINCE), SINCE + 1_000, 1],
    ['never changed (since 0): full', RAMP_MS, healthy(0), 5_000, 2],
    ['no health record: full', RAMP_MS, undefined, SINCE, 2],
    ['unhealthy: full (it gets no traffic anyway; no ramp to resume)', RAMP_MS, unhealthy(SINCE), SINCE + 1_000, 2],
    ['slow_start off: full at once', 0, healthy(SINCE), SINCE, 2],
  ];
  for (const [name, ms, rec, now, expected] of table) {
    it(name, () => {
      const x = setup(ms, rec ? { 'a:1': rec } : {});
      x.clock.now = now;
      assert.equal(x.ramp.weight(x.a, now), expected);
      assert.equal(x.ramp.weight(x.b, now), 1, 'a server with no record keeps its weight');
    });
  }
});

describe('slowStart.pool: the base pool, or a copy with ramped weights', () => {
  it('nothing ramps: the base pool itself', () => {
    const x = setup(RAMP_MS, { 'a:1': healthy(0), 'b:1': healthy(SINCE - RAMP_MS) });
    assert.equal(x.ramp.pool(SINCE), x.box.base);
  });

  it('slow_start off: the base pool, even for a server that just came back', () => {
    const x = setup(0, { 'a:1': healthy(SINCE) });
    assert.equal(x.ramp.pool(SINCE), x.box.base);
  });

  it('a server ramping: a new pool, the same servers in order, only its weight scaled', () => {
    const x = setup(RAMP_MS, { 'a:1': healthy(SINCE) });
    const p = x.ramp.pool(SINCE + 5_000);
    assert.notEqual(p, x.box.base);
    assert.deepEqual(weights(p), { 'a:1': 1, 'b:1': 1, 'c:1': 4 });
    assert.deepEqual(p.backends.map((b) => [b.id, b.url, b.backup]), x.box.base.backends.map((b) => [b.id, b.url, b.backup]));
    assert.equal(p.byId.get('a:1')!.weight, 1, 'byId names the ramped backends');
    assert.equal(x.box.base.backends[0].weight, 2, 'the base pool is not changed');
  });

  it('a backup ramps too', () => {
    const x = setup(RAMP_MS, { 'c:1': healthy(SINCE) });
    assert.deepEqual(weights(x.ramp.pool(SINCE + 2_500)), { 'a:1': 2, 'b:1': 1, 'c:1': 1 });
  });

  it('the ramped pool picks by the ramped weights', () => {
    // a at 10 % (weight 0.2) against b at 1, round robin: a gets 1 pick in 6.
    const x = setup(RAMP_MS, { 'a:1': healthy(SINCE) });
    const p = x.ramp.pool(SINCE + 1_000);
    const ctx = { request: new Request('http://x/'), url: new URL('http://x/'), clientIp: '127.0.0.1' };
    const counts: Record<string, number> = {};
    for (let i = 0; i < 600; i++) {
      const b = p.pick(ctx, (s) => !s.backup)!;
      counts[b.id] = (counts[b.id] ?? 0) + 1;
    }
    assert.deepEqual(counts, { 'a:1': 100, 'b:1': 500 });
  });

  it('rebuilt at most once per 250 ms step: the same object within a step, a new one in the next', () => {
    const x = setup(RAMP_MS, { 'a:1': healthy(SINCE) });
    const t = SINCE + 5_000; // a step boundary
    const p1 = x.ramp.pool(t);
    assert.equal(x.ramp.pool(t + 100), p1);
    assert.equal(x.ramp.pool(t + 249), p1, 'weights stay as of the step start');
    assert.equal(p1.byId.get('a:1')!.weight, 1);
    const p2 = x.ramp.pool(t + 250);
    assert.notEqual(p2, p1);
    assert.equal(p2.byId.get('a:1')!.weight, 2 * 0.525);
    assert.equal(x.ramp.pool(t + 499), p2);
  });

  it('a new base pool (the server list changed) is ramped afresh within the same step', () => {
    const x = setup(RAMP_MS, { 'a:1': healthy(SINCE) });
    const t = SINCE + 5_000;
    const p1 = x.ramp.pool(t);
    const d = backendFromSpec({ url: 'http://d:1', weight: 3, backup: false });
    x.box.base = createPool([...x.backends, d], x.settings.algorithm, x.options);
    const p2 = x.ramp.pool(t + 10);
    assert.notEqual(p2, p1);
    assert.deepEqual(weights(p2), { 'a:1': 2 * (5_010 / RAMP_MS), 'b:1': 1, 'c:1': 4, 'd:1': 3 }, "a's weight as of now, d's as configured");
  });

  it('once the ramp is over: the base pool again', () => {
    const x = setup(RAMP_MS, { 'a:1': healthy(SINCE) });
    assert.notEqual(x.ramp.pool(SINCE + 9_999), x.box.base);
    assert.equal(x.ramp.pool(SINCE + RAMP_MS), x.box.base);
  });

  it('two servers ramping from different times: each by its own', () => {
    const x = setup(RAMP_MS, { 'a:1': healthy(SINCE), 'b:1': healthy(SINCE + 2_500) });
    assert.deepEqual(weights(x.ramp.pool(SINCE + 5_000)), { 'a:1': 1, 'b:1': 0.25, 'c:1': 4 });
  });
});
