import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { show } from './issues.ts';

describe('show: a value as an error line quotes it', () => {
  const deep: unknown[] = [];
  let at = deep;
  for (let i = 0; i < 200_000; i++) at = (at[0] = []) as unknown[];
  const table: Array<[string, unknown, string]> = [
    ['nothing', undefined, 'nothing'],
    ['a string', 'x', '"x"'],
    ['a long value, cut at 80', 'y'.repeat(200), `"${'y'.repeat(76)}...`],
    ['infinity (JSON would say null)', Infinity, 'Infinity'],
    ['not a number', NaN, 'NaN'],
    ['nesting too deep to stringify', deep, '[...]'],
  ];
  for (const [name, value, want] of table) it(name, () => assert.equal(show(value), want));
});
