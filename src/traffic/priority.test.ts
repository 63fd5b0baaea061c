import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PoolSettings } from '../config/types.ts';
import { isLowPriority } from './priority.ts';

describe('isLowPriority', () => {
  const priority = { header: 'x-priority', low: ['batch', 'Bulk '] };
  const table: Array<[string, Array<[string, string]>, PoolSettings['priority'], boolean]> = [
    ['no priority setting', [['x-priority', 'batch']], null, false],
    ['header absent', [], priority, false],
    ['exact value', [['x-priority', 'batch']], priority, true],
    ['case differs', [['x-priority', 'BATCH']], priority, true],
    ['value padded', [['x-priority', '  batch  ']], priority, true],
    ['configured value padded and capitalised', [['x-priority', 'bulk']], priority, true],
    ['other value', [['x-priority', 'interactive']], priority, false],
    ['empty value', [['x-priority', '']], priority, false],
    ['list with a low item', [['x-priority', 'interactive, batch']], priority, true],
    ['list without a low item', [['x-priority', 'interactive, urgent']], priority, false],
    ['header sent twice', [['x-priority', 'interactive'], ['x-priority', 'bulk']], priority, true],
    ['substring is not a match', [['x-priority', 'batches']], priority, false],
    ['other header holds the value', [['x-other', 'batch']], priority, false],
    ['header name case differs', [['X-Priority', 'batch']], priority, true],
  ];
  for (const [name, entries, p, want] of table) {
    it(name, () => {
      const h = new Headers();
      for (const [k, v] of entries) h.append(k, v);
      assert.equal(isLowPriority(h, p), want);
    });
  }
});
