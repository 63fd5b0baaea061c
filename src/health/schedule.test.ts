import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HealthRecord } from '../core/types.ts';
import { isDue, nextCheckAfter, nextCheckAt, nextRoundAt, ROUND_CEILING_MS, ROUND_FLOOR_MS } from './schedule.ts';

const NOW = 1_000_000;

function rec(next_check_at?: number): HealthRecord {
  return { status: 'healthy', since: 0, consecutive_failures: 0, consecutive_successes: 0, ...(next_check_at !== undefined ? { next_check_at } : {}) };
}

describe('nextCheckAt', () => {
  const table: Array<[string, Array<{ ids: string[]; records: Record<string, HealthRecord> }>, number]> = [
    ['no pools: nothing is due', [], Infinity],
    ['a pool without servers: nothing is due', [{ ids: [], records: {} }], Infinity],
    ['the earliest of one pool', [{ ids: ['a', 'b'], records: { a: rec(NOW + 900), b: rec(NOW + 300) } }], NOW + 300],
    [
      'the earliest across pools',
      [
        { ids: ['a'], records: { a: rec(NOW + 900) } },
        { ids: ['x', 'y'], records: { x: rec(NOW + 5_000), y: rec(NOW + 40) } },
      ],
      NOW + 40,
    ],
    ['a server never checked is due at once', [{ ids: ['a', 'new'], records: { a: rec(NOW + 900) } }], -Infinity],
    ['a record without a due time is due at once', [{ ids: ['a'], records: { a: rec() } }], -Infinity],
    ['records of servers no longer listed do not count', [{ ids: ['a'], records: { a: rec(NOW + 900), gone: rec(NOW) } }], NOW + 900],
    ['an overdue check stays in the past', [{ ids: ['a'], records: { a: rec(NOW - 7) } }], NOW - 7],
  ];
  for (const [name, pools, want] of table) {
    it(`${name} → ${want}`, () => assert.equal(nextCheckAt(pools), want));
  }
});

describe('isDue', () => {
  const table: Array<[string, number | undefined, boolean]> = [
    ['never scheduled', undefined, true],
    ['overdue', NOW - 1, true],
    ['due exactly now', NOW, true],
    ['due within the floor (a timer that fired early)', NOW + ROUND_FLOOR_MS, true],
    ['due just past the floor', NOW + ROUND_FLOOR_MS + 1, false],
    ['due in a second', NOW + 1_000, false],
  ];
  for (const [name, dueAt, want] of table) {
    it(`${name} → ${want}`, () => assert.equal(isDue(dueAt, NOW), want));
  }
});

describe('nextRoundAt', () => {
  const table: Array<[string, number, number, number]> = [
    ['at the earliest due check', NOW + 400, ROUND_CEILING_MS, NOW + 400],
    ['never sooner than the floor', NOW + 1, ROUND_CEILING_MS, NOW + ROUND_FLOOR_MS],
    ['an overdue check: after the floor, no busy loop', NOW - 5_000, ROUND_CEILING_MS, NOW + ROUND_FLOOR_MS],
    ['a server never checked: after the floor', -Infinity, ROUND_CEILING_MS, NOW + ROUND_FLOOR_MS],
    ['a distant check: at the ceiling, to look for new services', NOW + 30_000, ROUND_CEILING_MS, NOW + ROUND_CEILING_MS],
    ['nothing to check: at the ceiling', Infinity, ROUND_CEILING_MS, NOW + ROUND_CEILING_MS],
    ['no ceiling: at the due check however far', NOW + 30_000, Infinity, NOW + 30_000],
    ['no ceiling, nothing to check: never', Infinity, Infinity, Infinity],
  ];
  for (const [name, dueAt, ceiling, want] of table) {
    it(`${name} → ${want - NOW} ms`, () => assert.equal(nextRoundAt(dueAt, NOW, ceiling), want));
  }
});

describe('nextCheckAfter', () => {
  const table: Array<[string, number, number, number, number]> = [
    // name, started, finished, step, want
    ['one step after the start, however long the probe took', NOW, NOW + 30, 1_000, NOW + 1_000],
    ['an instant probe', NOW, NOW, 1_000, NOW + 1_000],
    ['a probe slower than the step skips the slot it missed', NOW, NOW + 1_300, 1_000, NOW + 2_000],
    ['a probe that ends on a slot skips it', NOW, NOW + 1_000, 1_000, NOW + 2_000],
    ['a fractional step (jitter) is rounded', NOW, NOW + 5, 1_000.4, NOW + 1_000],
    ['a zero step still moves on', NOW, NOW, 0, NOW + 1],
  ];
  for (const [name, started, finished, step, want] of table) {
    it(`${name} → +${want - NOW} ms`, () => assert.equal(nextCheckAfter(started, finished, step), want));
  }
});
