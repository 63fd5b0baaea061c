import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runPolicyTests } from './contract.ts';
import { backends, ctx, FakeLoad, options } from './fixtures.ts';
import { leastConnections } from './least-connections.ts';

runPolicyTests('least_connections', leastConnections, { varyBy: 'none' });

describe('least_connections', () => {
  const table: Array<[string, number[], number[], string]> = [
    ['fewest in flight wins', [1, 1, 1], [3, 1, 2], 's2'],
    ['relative to weight: 4 of weight 4 beats 2 of weight 1', [1, 4, 1], [2, 4, 3], 's2'],
    ['idle beats busy', [1, 1], [5, 0], 's2'],
  ];
  for (const [name, weights, flights, want] of table) {
    it(name, () => {
      const load = new FakeLoad();
      const list = backends(weights);
      list.forEach((b, i) => load.flights.set(b.id, flights[i]));
      assert.equal(leastConnections(list, options({ load })).pick(ctx(), () => true)!.name, want);
    });
  }
  it('ties rotate', () => {
    const p = leastConnections(backends([1, 1, 1]), options());
    const got = new Set(Array.from({ length: 3 }, () => p.pick(ctx(), () => true)!.name));
    assert.equal(got.size, 3);
  });
});
