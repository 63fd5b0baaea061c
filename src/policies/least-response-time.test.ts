import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runPolicyTests } from './contract.ts';
import { backends, ctx, FakeLoad, options } from './fixtures.ts';
import { leastResponseTime } from './least-response-time.ts';

runPolicyTests('least_response_time', leastResponseTime, { varyBy: 'none', shareTolerance: 0.015 });

describe('least_response_time (peak EWMA × in-flight)', () => {
  it('prefers the faster server', () => {
    const load = new FakeLoad();
    const list = backends([1, 1, 1]);
    load.latencies.set(list[0].id, 5);
    load.latencies.set(list[1].id, 50);
    load.latencies.set(list[2].id, 200);
    const p = leastResponseTime(list, options({ load }));
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[list.indexOf(p.pick(ctx(), () => true)!)]++;
    assert.ok(counts[0] > counts[1] && counts[1] > counts[2], counts.join(','));
    assert.equal(counts[2], 0, 'the slowest loses every pairing');
  });
  it('weighs latency by in-flight requests: a fast but busy server loses to a slower idle one', () => {
    const load = new FakeLoad();
    const list = backends([1, 1]);
    load.latencies.set(list[0].id, 10);
    load.flights.set(list[0].id, 9); // cost 100
    load.latencies.set(list[1].id, 40); // cost 40
    assert.equal(leastResponseTime(list, options({ load })).pick(ctx(), () => true), list[1]);
  });
});
