import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJson } from './json.ts';

describe('parseJson locates syntax errors by line and column', () => {
  const table: Array<[string, string, number, number, RegExp]> = [
    ['missing comma', '{\n  "a": 1\n  "b": 2\n}', 3, 3, /expected ',' or '}'/],
    ['trailing comma', '{"a": [1, 2,]}', 1, 13, /expected a value/],
    ['unquoted key', '{\n  port: 1\n}', 2, 3, /quoted/],
    ['unterminated', '{"a": "x', 1, 9, /closing/],
    ['empty input', '', 1, 1, /value/],
    ['garbage after', '{} x', 1, 4, /end of input/],
  ];
  for (const [name, text, line, column, message] of table) {
    it(name, () => {
      const r = parseJson(text);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.deepEqual([r.error.line, r.error.column], [line, column]);
      assert.match(r.error.message, message);
    });
  }
  it('valid JSON parses', () => assert.deepEqual(parseJson('{"a":[1,true,null]}'), { ok: true, value: { a: [1, true, null] } }));
});
