import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DECAY_MS, STALE_AFTER_MS } from '../policies/peak-ewma.ts';
import { RuntimeTable } from './records.ts';

describe('RuntimeTable: one record per backend, one lifecycle', () => {
  it('sync keeps the listed servers with their drain flags and drops every other record whole', () => {
    const t = new RuntimeTable();
    t.sync([{ id: 'a:1', drained: false }, { id: 'b:1', drained: true }]);
    const a = t.get('a:1');
    a.requests = 7;
    a.inFlight = 2;
    a.mark = { status: 'unhealthy', since: 5, consecutive_failures: 1, consecutive_successes: 0 };
    a.passive = { failures: [1], ejections: 1, ejectedUntil: 99 };
    assert.equal(t.peek('b:1')!.drained, true);
    t.sync([{ id: 'b:1', drained: false }]);
    assert.equal(t.peek('a:1'), undefined, 'a removed server leaves nothing behind');
    assert.equal(t.peek('b:1')!.drained, false);
    t.sync([{ id: 'a:1', drained: false }, { id: 'b:1', drained: false }]);
    const back = t.get('a:1');
    assert.deepEqual([back.requests, back.inFlight, back.mark, back.passive.ejectedUntil], [0, 0, undefined, 0], 'added back: a clean record');
  });

  it('a server that stays listed keeps its record (the same object) across list changes', () => {
    const t = new RuntimeTable();
    t.sync([{ id: 'a:1', drained: false }]);
    const a = t.get('a:1');
    a.requests = 3;
    t.sync([{ id: 'a:1', drained: true }, { id: 'c:1', drained: false }]);
    assert.equal(t.get('a:1'), a);
    assert.equal(a.requests, 3);
  });

  it('is the load view policies read, as of its clock', () => {
    const clock = { now: 50_000 };
    const t = new RuntimeTable(() => clock.now);
    const a = t.get('a:1');
    a.inFlight = 4;
    a.awaiting = 1;
    a.sampleLatency(12, clock.now);
    assert.deepEqual([t.inFlight('a:1'), t.awaiting('a:1'), t.latencyMs('a:1')], [4, 1, 12]);
    assert.deepEqual([t.inFlight('zz:1'), t.awaiting('zz:1'), t.latencyMs('zz:1')], [0, 0, undefined], 'an unlisted server: nothing');
    clock.now += 1000;
    assert.equal(t.latencyMs('a:1'), 12 * Math.exp(-1000 / DECAY_MS), 'decayed by the time since its sample');
    clock.now += STALE_AFTER_MS;
    assert.equal(t.latencyMs('a:1'), undefined, 'no sample lately: unknown');
    assert.equal(a.observed, 1, 'the sample is in the counters too');
  });
});
