import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLEAN, ejectionCap, isEjected, passiveFailure, passiveSuccess, type PassiveState } from './passive.ts';

const cfg = { maxFails: 3, failTimeoutMs: 1000, maxEjectionMs: 3000 };

describe('passive ejection (max_fails within fail_timeout)', () => {
  it('ejects on the max_fails-th failure within the window, for fail_timeout', () => {
    let s: PassiveState = CLEAN;
    s = passiveFailure(s, 0, cfg, true);
    s = passiveFailure(s, 100, cfg, true);
    assert.equal(isEjected(s, 100), false);
    s = passiveFailure(s, 200, cfg, true);
    assert.equal(isEjected(s, 200), true);
    assert.equal(s.ejectedUntil, 1200);
    assert.equal(isEjected(s, 1200), false);
  });
  it('failures older than fail_timeout do not count', () => {
    let s: PassiveState = CLEAN;
    for (const t of [0, 600, 1200, 1800]) s = passiveFailure(s, t, cfg, true);
    assert.equal(isEjected(s, 1800), false);
  });
  it('repeated ejections double up to the cap', () => {
    let s: PassiveState = CLEAN;
    const lengths: number[] = [];
    let t = 0;
    for (let n = 0; n < 4; n++) {
      for (let k = 0; k < 3; k++) s = passiveFailure(s, t + k, cfg, true);
      lengths.push(s.ejectedUntil - (t + 2));
      t = s.ejectedUntil;
    }
    assert.deepEqual(lengths, [1000, 2000, 3000, 3000]);
  });
  it('does not eject past the pool cap', () => {
    let s: PassiveState = CLEAN;
    for (const t of [0, 1, 2]) s = passiveFailure(s, t, cfg, false);
    assert.equal(isEjected(s, 3), false);
  });
  it('a clean fail_timeout after an ejection forgives one', () => {
    let s: PassiveState = { failures: [], ejections: 2, ejectedUntil: 1000 };
    s = passiveSuccess(s, 1500, cfg);
    assert.equal(s.ejections, 2);
    s = passiveSuccess(s, 2000, cfg);
    assert.equal(s.ejections, 1);
  });
  it('ejection cap: a percentage of the pool, at least one', () => {
    assert.deepEqual([ejectionCap(3, 50), ejectionCap(10, 50), ejectionCap(2, 10), ejectionCap(5, 0)], [1, 5, 1, 0]);
  });
});
