import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runPolicyTests } from './contract.ts';
import { always, backends, ctx, options } from './fixtures.ts';
import { roundRobin } from './round-robin.ts';

runPolicyTests('round_robin', roundRobin, { varyBy: 'none', shareTolerance: 0.001 });

describe('round_robin sequences', () => {
  const seq = (weights: number[], n: number, accept: (id: string) => boolean = () => true) => {
    const p = roundRobin(backends(weights), options());
    return Array.from({ length: n }, () => p.pick(ctx(), (b) => accept(b.id))!.name).join(' ');
  };
  const table: Array<[string, number[], number, string]> = [
    ['equal weights rotate', [1, 1, 1], 6, 's1 s2 s3 s1 s2 s3'],
    ['1,1,2: the weight-2 server on 2 picks of every 4, interleaved', [1, 1, 2], 8, 's3 s1 s2 s3 s3 s1 s2 s3'],
    ['5,1,1: nginx smooth sequence', [5, 1, 1], 7, 's1 s1 s2 s1 s3 s1 s1'],
  ];
  for (const [name, weights, n, want] of table) it(name, () => assert.equal(seq(weights, n), want));

  it('1,1,2: every period of 4 has the weight-2 server twice and each other once; never three in a row', () => {
    const picks = seq([1, 1, 2], 400).split(' ');
    for (let i = 0; i + 4 <= picks.length; i += 4) {
      const w = picks.slice(i, i + 4);
      assert.deepEqual([w.filter((x) => x === 's3').length, w.filter((x) => x === 's1').length, w.filter((x) => x === 's2').length], [2, 1, 1]);
    }
    // Smooth, but not strictly alternating: it ends one period and starts the next (nginx does the same).
    for (let i = 2; i < picks.length; i++) assert.ok(!(picks[i] === picks[i - 1] && picks[i] === picks[i - 2]), `${picks[i]} three times in a row at ${i}`);
  });

  it('a refused server drops out and the others keep exact proportions', () => {
    const picks = seq([1, 2, 3], 300, (id) => id !== '10.0.0.3:80').split(' ');
    assert.equal(picks.filter((x) => x === 's1').length, 100);
    assert.equal(picks.filter((x) => x === 's2').length, 200);
  });

  it('skips a refused server with equal weights', () => {
    const p = roundRobin(backends([1, 1, 1]), options());
    const got = Array.from({ length: 4 }, () => p.pick(ctx(), (b) => b.name !== 's2')!.name);
    assert.deepEqual(got, ['s1', 's3', 's1', 's3']);
    assert.equal(p.pick(ctx(), always)!.name, 's1');
  });
});
