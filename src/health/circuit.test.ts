import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { circuitAdmit, circuitAt, circuitResult, CLOSED, type CircuitState } from './circuit.ts';

const cfg = { failureThreshold: 3, openMs: 1000, halfOpenRequests: 2 };

describe('circuit breaker', () => {
  it('opens after the threshold of consecutive failures; a success resets the count', () => {
    let c: CircuitState = CLOSED;
    c = circuitResult(c, false, false, 0, cfg);
    c = circuitResult(c, false, false, 1, cfg);
    c = circuitResult(c, true, false, 2, cfg);
    assert.equal(c.failures, 0);
    for (const t of [3, 4, 5]) c = circuitResult(c, false, false, t, cfg);
    assert.equal(c.state, 'open');
    assert.equal(circuitAdmit(c, 500, cfg).allowed, false);
  });
  it('half opens after open_duration and lets only half_open_requests trials through', () => {
    const open: CircuitState = { state: 'open', failures: 3, openedAt: 0, trials: 0, passed: 0 };
    assert.equal(circuitAt(open, 999, cfg).state, 'open');
    const a = circuitAdmit(open, 1000, cfg);
    assert.deepEqual([a.allowed, a.trial, a.next.state], [true, true, 'half_open']);
    const b = circuitAdmit(a.next, 1001, cfg);
    assert.equal(b.allowed, true);
    assert.equal(circuitAdmit(b.next, 1002, cfg).allowed, false);
    let c = circuitResult(b.next, true, true, 1003, cfg);
    assert.equal(c.state, 'half_open');
    c = circuitResult(c, true, true, 1004, cfg);
    assert.equal(c.state, 'closed');
  });
  it('a failed trial opens it again', () => {
    const half = circuitAdmit({ state: 'open', failures: 3, openedAt: 0, trials: 0, passed: 0 }, 1000, cfg).next;
    const c = circuitResult(half, false, true, 1100, cfg);
    assert.equal(c.state, 'open');
    assert.equal(c.openedAt, 1100);
  });
  it('late results from before it opened change nothing', () => {
    const open: CircuitState = { state: 'open', failures: 3, openedAt: 0, trials: 0, passed: 0 };
    assert.equal(circuitResult(open, true, false, 10, cfg), open);
  });
});
