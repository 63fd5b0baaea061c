import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBytes, parseDuration } from './duration.ts';

describe('parseDuration → ms', () => {
  const table: Array<[unknown, number | undefined]> = [
    [10, 10_000],
    [0.5, 500],
    ['0.5', 500],
    ['500ms', 500],
    ['10s', 10_000],
    ['1.5s', 1_500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    [' 3 s ', 3_000],
    [-1, undefined],
    ['-1s', undefined],
    ['soon', undefined],
    ['10 parsecs', undefined],
    [true, undefined],
    [Number.NaN, undefined],
  ];
  for (const [input, want] of table) it(`${JSON.stringify(input)} → ${want}`, () => assert.equal(parseDuration(input), want));
});

describe('parseBytes', () => {
  const table: Array<[unknown, number | undefined]> = [
    [65536, 65536],
    ['64KiB', 65536],
    ['1MiB', 1048576],
    ['500kB', 500_000],
    ['12', 12],
    [1.5, undefined],
    ['lots', undefined],
  ];
  for (const [input, want] of table) it(`${JSON.stringify(input)} → ${want}`, () => assert.equal(parseBytes(input), want));
});
