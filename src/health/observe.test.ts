import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HealthRecord, ProbeResult } from '../core/types.ts';
import { initialRecord, observe, observePassive } from './observe.ts';

const pass: ProbeResult = { ok: true, status: 200, latencyMs: 3 };
const fail: ProbeResult = { ok: false, latencyMs: 1, error: 'connect' };
const t = { rise: 2, fall: 3 };

/** Runs a sequence of results from `start` and returns the status after each. */
function run(start: HealthRecord | undefined, seq: ProbeResult[]): string[] {
  let rec = start;
  return seq.map((r, i) => {
    rec = observe(rec, r, t, 1000 + i);
    return rec.status;
  });
}

describe('observe (rise/fall)', () => {
  const down: HealthRecord = { ...initialRecord(0), status: 'unhealthy' };
  const table: Array<[string, HealthRecord | undefined, ProbeResult[], string[]]> = [
    ['unknown backend starts healthy and stays on passes', undefined, [pass, pass], ['healthy', 'healthy']],
    ['goes down only on the fall-th consecutive failure', undefined, [fail, fail, fail], ['healthy', 'healthy', 'unhealthy']],
    ['a pass resets the failure count', undefined, [fail, fail, pass, fail, fail], Array(5).fill('healthy')],
    ['comes back on the rise-th consecutive pass', down, [pass, pass], ['unhealthy', 'healthy']],
    ['a failure resets the pass count', down, [pass, fail, pass, pass], ['unhealthy', 'unhealthy', 'unhealthy', 'healthy']],
  ];
  for (const [name, start, seq, want] of table) {
    it(name, () => assert.deepEqual(run(start, seq), want));
  }

  it('initial_state unhealthy: out of rotation until rise passes', () => {
    let rec = observe(undefined, pass, { ...t, initialState: 'unhealthy' }, 1);
    assert.equal(rec.status, 'unhealthy');
    rec = observe(rec, pass, t, 2);
    assert.equal(rec.status, 'healthy');
  });

  it('records since only on a change, and last_check every time', () => {
    let rec = observe(undefined, fail, t, 10);
    assert.equal(rec.since, 0, 'never changed yet');
    rec = observe(rec, fail, t, 20);
    rec = observe(rec, fail, t, 30);
    assert.equal(rec.status, 'unhealthy');
    assert.equal(rec.since, 30);
    assert.deepEqual(rec.last_check, { at: 30, ok: false, latency_ms: 1, error: 'connect' });
    assert.match(rec.reason!, /failed 3 time/);
  });
});

describe('observePassive', () => {
  it('takes a healthy backend down at once with the reason', () => {
    const rec = observePassive(initialRecord(0), 'connect error', 50);
    assert.equal(rec.status, 'unhealthy');
    assert.equal(rec.since, 50);
    assert.equal(rec.reason, 'passive: connect error');
  });
  it('leaves an unhealthy record as it was', () => {
    const down: HealthRecord = { ...initialRecord(0), status: 'unhealthy', since: 7 };
    assert.equal(observePassive(down, 'x', 50), down);
  });
});
