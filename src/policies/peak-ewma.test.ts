import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DECAY_MS, estimateAt, STALE_AFTER_MS, UNMEASURED, withSample, type LatencyEstimate } from './peak-ewma.ts';

const T = 1_000_000;
const close = (got: number | undefined, want: number, what: string) => assert.ok(got !== undefined && Math.abs(got - want) < 1e-9, `${what}: ${got} vs ${want}`);

describe('peak EWMA: reading the estimate at a time', () => {
  const e: LatencyEstimate = { ms: 100, at: T };
  const table: Array<[string, LatencyEstimate, number, number | undefined]> = [
    ['never measured: unknown', UNMEASURED, T, undefined],
    ['at its sample: the sample', e, T, 100],
    ['decays toward 0 with the time since: e^(-age / DECAY_MS)', e, T + 1000, 100 * Math.exp(-1000 / DECAY_MS)],
    ['just before stale: still decayed', e, T + STALE_AFTER_MS - 1, 100 * Math.exp(-(STALE_AFTER_MS - 1) / DECAY_MS)],
    ['no sample for STALE_AFTER_MS: unknown again', e, T + STALE_AFTER_MS, undefined],
    ['a clock read before the sample: not grown', e, T - 5, 100],
  ];
  for (const [name, est, now, want] of table) {
    it(name, () => {
      const got = estimateAt(est, now);
      if (want === undefined) assert.equal(got, undefined);
      else close(got, want, name);
    });
  }
});

describe('peak EWMA: taking a sample', () => {
  const w = (gap: number) => Math.exp(-gap / DECAY_MS);
  const table: Array<[string, LatencyEstimate, number, number, number]> = [
    ['the first sample is taken as it is', UNMEASURED, 40, T, 40],
    ['a slower sample is taken at once (the peak)', { ms: 10, at: T }, 300, T + 100, 300],
    ['a faster one moves the decayed estimate toward it by the gap', { ms: 100, at: T }, 10, T + 500, 100 * w(500) + 10 * (1 - w(500))],
    ['a faster one right after the last sample barely moves it', { ms: 100, at: T }, 10, T, 100],
    ['after a stale gap the sample replaces the old estimate (a probe measures afresh)', { ms: 2000, at: T }, 10, T + STALE_AFTER_MS, 10],
  ];
  for (const [name, est, ms, now, want] of table) {
    it(name, () => {
      const next = withSample(est, ms, now);
      close(next.ms, want, name);
      assert.equal(next.at, now);
    });
  }

  it('a server that is steady at L reads L', () => {
    let e = UNMEASURED;
    for (let i = 0; i < 1000; i++) e = withSample(e, 25, T + i * 10);
    close(estimateAt(e, T + 9990), 25, 'steady');
  });
});
