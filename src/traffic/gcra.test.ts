import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gcra, gcraWhole, type GcraLimit } from './gcra.ts';
import type { RateVerdict } from './types.ts';

/** Runs requests at the given instants through one key; returns each verdict. */
function run(limit: GcraLimit, instants: number[], start?: number): RateVerdict[] {
  let tat = start;
  return instants.map((now) => {
    const r = gcra(tat, limit, now);
    tat = r.tat;
    return r.verdict;
  });
}

const T0 = 1_700_000_000_000;
const tenPerSecondBurst20: GcraLimit = { limit: 10, periodMs: 1000, burst: 20 };

describe('gcra', () => {
  it('allows burst requests at once, then refuses', () => {
    const v = run(tenPerSecondBurst20, Array(25).fill(T0));
    assert.equal(v.filter((x) => x.allowed).length, 20);
    assert.deepEqual(
      v.slice(0, 20).map((x) => x.remaining),
      Array.from({ length: 20 }, (_, i) => 19 - i),
    );
    assert.ok(v.slice(20).every((x) => !x.allowed && x.remaining === 0));
  });

  it('says when a refused request would be allowed, and when the bucket is whole', () => {
    const v = run(tenPerSecondBurst20, [...Array(20).fill(T0), T0, T0 + 40]);
    assert.deepEqual(v[19], { allowed: true, remaining: 0, resetMs: 2000, retryAfterMs: 0 });
    assert.deepEqual(v[20], { allowed: false, remaining: 0, resetMs: 2000, retryAfterMs: 100 });
    assert.deepEqual(v[21], { allowed: false, remaining: 0, resetMs: 1960, retryAfterMs: 60 });
  });

  it('refills one request per emission interval, at the exact instant', () => {
    const table: Array<{ limit: GcraLimit; burstAt: number; at: number[]; want: boolean[] }> = [
      // 10/s: one every 100 ms after the burst of 20.
      { limit: tenPerSecondBurst20, burstAt: T0, at: [T0 + 99, T0 + 100, T0 + 100, T0 + 199, T0 + 200], want: [false, true, false, false, true] },
      // 3/s: an interval of 333.33 ms must not be lost to rounding.
      { limit: { limit: 3, periodMs: 1000, burst: 3 }, burstAt: T0, at: [T0 + 333, T0 + 334, T0 + 666, T0 + 667, T0 + 1000], want: [false, true, false, true, true] },
      // 100/m, burst 1: one every 600 ms.
      { limit: { limit: 100, periodMs: 60_000, burst: 1 }, burstAt: T0, at: [T0 + 599, T0 + 600, T0 + 1199, T0 + 1200], want: [false, true, false, true] },
    ];
    for (const { limit, burstAt, at, want } of table) {
      const v = run(limit, [...Array(limit.burst).fill(burstAt), ...at]);
      assert.deepEqual(
        v.slice(limit.burst).map((x) => x.allowed),
        want,
        JSON.stringify(limit),
      );
    }
  });

  it('retryAfterMs is the wait after which the request is allowed', () => {
    const limit = { limit: 3, periodMs: 1000, burst: 2 };
    const first = run(limit, [T0, T0, T0]);
    const refused = first[2];
    assert.equal(refused.allowed, false);
    assert.equal(refused.retryAfterMs, 334);
    let tat: number | undefined;
    for (let i = 0; i < 2; i++) tat = gcra(tat, limit, T0).tat;
    assert.equal(gcra(tat, limit, T0 + refused.retryAfterMs - 1).verdict.allowed, false);
    assert.equal(gcra(tat, limit, T0 + refused.retryAfterMs).verdict.allowed, true);
  });

  it('a refusal leaves the key as it was', () => {
    let tat: number | undefined;
    for (let i = 0; i < 20; i++) tat = gcra(tat, tenPerSecondBurst20, T0).tat;
    const r = gcra(tat, tenPerSecondBurst20, T0);
    assert.equal(r.verdict.allowed, false);
    assert.equal(r.tat, tat);
  });

  it('a key idle long enough is whole again', () => {
    let tat: number | undefined;
    for (let i = 0; i < 20; i++) tat = gcra(tat, tenPerSecondBurst20, T0).tat;
    assert.equal(gcraWhole(tat, T0 + 1999), false);
    assert.equal(gcraWhole(tat, T0 + 2000), true);
    // Half-way: 10 refilled.
    const half = run(tenPerSecondBurst20, Array(12).fill(T0 + 1000), tat);
    assert.equal(half.filter((x) => x.allowed).length, 10);
    // Long idle: a whole burst again, the same as a new key.
    const later = run(tenPerSecondBurst20, Array(21).fill(T0 + 60_000), tat);
    assert.deepEqual(later, run(tenPerSecondBurst20, Array(21).fill(T0 + 60_000)));
    assert.equal(later.filter((x) => x.allowed).length, 20);
  });

  it('a new key has the whole burst, less this request', () => {
    assert.deepEqual(gcra(undefined, { limit: 100, periodMs: 1000, burst: 50 }, T0).verdict, { allowed: true, remaining: 49, resetMs: 10, retryAfterMs: 0 });
    assert.equal(gcraWhole(undefined, T0), true);
  });

  it('a steady rate at the limit is never refused', () => {
    const limit = { limit: 7, periodMs: 1000, burst: 1 };
    // Exactly one emission interval apart, which epoch-ms floating point cannot represent exactly.
    const instants = Array.from({ length: 70 }, (_, i) => T0 + (i * 1000) / 7);
    assert.ok(run(limit, instants).every((x) => x.allowed));
  });
});
