import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runPolicyTests } from './contract.ts';
import { backends, ctx, FakeLoad, options } from './fixtures.ts';
import { powerOfTwo } from './power-of-two.ts';

runPolicyTests('power_of_two', powerOfTwo, { varyBy: 'none', shareTolerance: 0.015 });

describe('power_of_two', () => {
  it('of two candidates the less loaded wins: a busy server is picked rarely', () => {
    const load = new FakeLoad();
    const list = backends([1, 1, 1, 1]);
    load.flights.set(list[0].id, 50);
    const p = powerOfTwo(list, options({ load }));
    let busy = 0;
    for (let i = 0; i < 4000; i++) if (p.pick(ctx(), () => true) === list[0]) busy++;
    // It wins only when drawn twice... never: with two distinct candidates it always loses.
    assert.equal(busy, 0);
  });
});
