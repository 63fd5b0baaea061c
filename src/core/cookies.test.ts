import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cookieValue } from './cookies.ts';

describe('cookieValue', () => {
  const table: Array<[string | null, string, string | undefined]> = [
    [null, 'a', undefined],
    ['', 'a', undefined],
    ['a=1', 'a', '1'],
    ['x=9; a=1; b=2', 'a', '1'],
    [' a = 1 ', 'a', '1'],
    ['xa=1; ax=2', 'a', undefined],
    ['a=1; a=2', 'a', '1'],
    ['a=', 'a', ''],
    ['=1; a=x=y', 'a', 'x=y'],
    ['novalue; a=1', 'a', '1'],
  ];
  for (const [header, name, want] of table) it(`${JSON.stringify(header)} → ${want}`, () => assert.equal(cookieValue(header, name), want));
});
