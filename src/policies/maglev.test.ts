import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runPolicyTests, runStabilityTests } from './contract.ts';
import { backends, options } from './fixtures.ts';
import { maglev, maglevTable } from './maglev.ts';

runPolicyTests('maglev', maglev, { varyBy: 'path', shareTolerance: 0.03 });
runStabilityTests('maglev', maglev, 'path', { removeExtra: 0.05, addTolerance: 0.06 });

describe('maglev table', () => {
  it('fills every slot, each backend near its weighted share', () => {
    const list = backends([1, 1, 2]);
    const t = maglevTable(list, 65537);
    const counts = [0, 0, 0];
    for (const i of t) counts[i]++;
    assert.equal(counts.reduce((a, b) => a + b), 65537);
    assert.ok(Math.abs(counts[2] / 65537 - 0.5) < 0.01, counts.join(','));
  });
  it('is the same for the same list', () => {
    assert.deepEqual(maglevTable(backends([1, 2, 3]), 251), maglevTable(backends([1, 2, 3]), 251));
  });
  it('empty list: pick is undefined', () => {
    assert.equal(maglev([], options()).pick({} as never, () => true), undefined);
  });
});
