import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runPolicyTests } from './contract.ts';
import { backends, ctx, options } from './fixtures.ts';
import { first } from './first.ts';

runPolicyTests('first', first, { varyBy: 'none' });

describe('first', () => {
  it('always the first accepted server in order', () => {
    const p = first(backends([1, 5, 1]), options());
    assert.equal(p.pick(ctx(), () => true)!.name, 's1');
    assert.equal(p.pick(ctx(), (b) => b.name !== 's1')!.name, 's2');
    assert.equal(p.pick(ctx(), (b) => b.name === 's3')!.name, 's3');
  });
});
