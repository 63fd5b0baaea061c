import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RetryBudget } from './budget.ts';

/** What happens before the check: `n` first attempts or retries, all at time `at` (ms). */
type Step = { requests: number; at: number } | { retries: number; at: number };

/** How many retries in a row the budget allows at `now`, spending each one. */
function retriesLeft(b: RetryBudget, now: number): number {
  let n = 0;
  while (b.allows(now) && n < 10_000) {
    b.spend(now);
    n++;
  }
  return n;
}

function budgetAfter(percent: number, minPerSecond: number, steps: Step[]): RetryBudget {
  const b = new RetryBudget(percent, minPerSecond);
  for (const s of steps) {
    if ('requests' in s) for (let i = 0; i < s.requests; i++) b.request(s.at);
    else for (let i = 0; i < s.retries; i++) b.spend(s.at);
  }
  return b;
}

/** `n` requests in each second from `from` to `to` (inclusive), mid-second. */
const everySecond = (n: number, from: number, to: number): Step[] => Array.from({ length: to - from + 1 }, (_, i) => ({ requests: n, at: (from + i) * 1000 + 500 }));

describe('RetryBudget', () => {
  // [name, percent, minPerSecond, steps, now (ms), retries it then allows]
  const table: Array<[string, number, number, Step[], number, number]> = [
    // The floor: minPerSecond over the 10 s window, usable at once.
    ['no traffic: the floor, minPerSecond × 10', 20, 3, [], 0, 30],
    ['the floor is per window, not per second: a burst may use all of it', 20, 1, [], 5_250, 10],
    ['the floor wins while few requests were sent', 20, 3, [{ requests: 50, at: 0 }], 0, 30],
    ['no floor and no requests: none', 20, 0, [], 0, 0],
    ['percent 0 leaves only the floor', 0, 2, [{ requests: 1000, at: 0 }], 0, 20],
    // The percentage of recent requests.
    ['20% of 100 requests', 20, 0, [{ requests: 100, at: 0 }], 0, 20],
    ['the percentage wins above the floor', 50, 1, [{ requests: 100, at: 0 }], 0, 50],
    ['requests in every second of the window all count', 10, 0, everySecond(10, 0, 9), 9_500, 10],
    ['requests each side of a second boundary both count', 50, 0, [{ requests: 2, at: 999 }, { requests: 2, at: 1_000 }], 1_000, 2],
    ['never more than the percentage: 20% of 7 requests is 1 retry, not 2', 20, 0, [{ requests: 7, at: 0 }], 0, 1],
    ['20% of 4 requests is no retry', 20, 0, [{ requests: 4, at: 0 }], 0, 0],
    // Slots expire after 10 s.
    ['requests 9.5 s old still count', 20, 0, [{ requests: 100, at: 500 }], 9_999, 20],
    ['requests 10 s old (their second left the window) no longer count', 20, 0, [{ requests: 100, at: 500 }], 10_000, 0],
    ['the oldest second leaves, the rest stay', 10, 0, everySecond(10, 0, 9), 10_500, 9],
    ['retries made 9.9 s ago still use the budget', 20, 1, [{ retries: 10, at: 0 }], 9_999, 0],
    ['retries made 10 s ago no longer do', 20, 1, [{ retries: 10, at: 0 }], 10_000, 10],
    ['retries made in the window count against requests made in it', 20, 0, [{ requests: 100, at: 0 }, { retries: 15, at: 3_000 }], 6_000, 5],
    // Time past a whole window.
    ['25 s later nothing old counts: only the floor', 50, 1, [...everySecond(100, 0, 9), { retries: 40, at: 9_000 }], 25_000, 10],
    ['exactly two windows later the same slot is reused, emptied first', 20, 0, [{ requests: 100, at: 500 }, { requests: 10, at: 20_500 }], 20_500, 2],
    ['a slot reused after a wrap counts only its new second', 100, 0, [{ requests: 50, at: 3_100 }, { requests: 5, at: 13_100 }], 13_900, 5],
    ['a long gap, then traffic again: the new traffic alone sets the budget', 10, 0, [...everySecond(100, 0, 9), ...everySecond(10, 1000, 1009)], 1_009_500, 10],
  ];

  for (const [name, percent, minPerSecond, steps, now, allowed] of table) {
    it(name, () => {
      assert.equal(retriesLeft(budgetAfter(percent, minPerSecond, steps), now), allowed);
    });
  }

  it('allows() only asks: checking does not spend', () => {
    const b = budgetAfter(20, 0, [{ requests: 10, at: 0 }]);
    for (let i = 0; i < 100; i++) assert.equal(b.allows(100), true);
    b.spend(100);
    b.spend(100);
    assert.equal(b.allows(100), false);
  });

  it('a spent budget comes back second by second as old retries leave the window', () => {
    // Floor 10: one retry in each of seconds 0..9 uses it up; each later second frees the oldest.
    const b = new RetryBudget(0, 1);
    for (let s = 0; s < 10; s++) {
      assert.equal(b.allows(s * 1000 + 100), true, `second ${s}`);
      b.spend(s * 1000 + 100);
    }
    assert.equal(b.allows(9_900), false, 'all 10 used within the window');
    for (let s = 10; s < 15; s++) {
      assert.equal(b.allows(s * 1000), true, `second ${s}: second ${s - 10}'s retry has left`);
      b.spend(s * 1000);
      assert.equal(b.allows(s * 1000 + 999), false, `second ${s}: used up again`);
    }
  });
});
