import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonErrorText, MAX_JSON_DEPTH, parseJson } from './json.ts';

const nested = (levels: number, open = '[', close = ']') => open.repeat(levels) + close.repeat(levels);

describe('parseJson locates syntax errors by line and column', () => {
  const table: Array<[string, string, number, number, RegExp]> = [
    ['missing comma', '{\n  "a": 1\n  "b": 2\n}', 3, 3, /^invalid JSON: expected ',' or '}', found "\\""$/],
    ['trailing comma', '{"a": [1, 2,]}', 1, 13, /expected a value/],
    ['trailing comma in an object', '{"a": 1,}', 1, 9, /expected a "quoted" key/],
    ['unquoted key', '{\n  port: 1\n}', 2, 3, /quoted/],
    ['missing colon', '{"a" 1}', 1, 6, /expected ':'/],
    ['unterminated', '{"a": "x', 1, 9, /closing/],
    ['a bad escape', '{"a": "\\x"}', 1, 9, /expected an escape such as .*, found "x"$/],
    ['a short \\u escape', '"\\u12"', 1, 3, /expected an escape such as .*, found "u"$/],
    ['a raw control character', '"a\tb"', 1, 3, /control character/],
    ['a leading zero', '[01]', 1, 3, /expected ',' or ']'/],
    ['a lone minus', '[-]', 1, 2, /expected a value/],
    ['a bare word', 'nul', 1, 1, /expected a value/],
    ['empty input', '', 1, 1, /value, found end of input/],
    ['only whitespace', ' \n ', 2, 2, /value, found end of input/],
    ['garbage after', '{} x', 1, 4, /expected end of input/],
    ['an unclosed array', '[1, 2', 1, 6, /expected ',' or ']', found end of input/],
  ];
  for (const [name, text, line, column, message] of table) {
    it(name, () => {
      const r = parseJson(text);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.deepEqual([r.error.line, r.error.column], [line, column]);
      assert.match(r.error.message, message);
      assert.equal(r.error.path, undefined);
    });
  }
});

describe('parseJson refuses what JSON.parse takes silently', () => {
  const table: Array<[string, string, { line: number; column: number; path?: string; text: RegExp }]> = [
    ['a duplicate key, named by its path', '{"servers": [{"url": "a",\n "url": "b"}]}', { line: 2, column: 2, path: 'servers[0].url', text: /^servers\[0\]\.url: duplicate key$/ }],
    ['a duplicate key at the top', '{"a": 1, "b": 2, "a": 3}', { line: 1, column: 18, path: 'a', text: /^a: duplicate key$/ }],
    ['a duplicate key spelled with an escape', '{"ab": 1, "a\\u0062": 2}', { line: 1, column: 11, path: 'ab', text: /^ab: duplicate key$/ }],
    ['a duplicate key under an array at the top', '[{}, {"x": 1, "x": 2}]', { line: 1, column: 15, path: '[1].x', text: /^\[1\]\.x: duplicate key$/ }],
    ['a number no double holds', `{"load_balancer": {"port": 1${'0'.repeat(400)}}}`, { line: 1, column: 28, path: 'load_balancer.port', text: /^load_balancer\.port: number out of range, got 10{36}\.\.\.$/ }],
    ['a negative number no double holds', '[1, -1e999]', { line: 1, column: 5, path: '[1]', text: /^\[1\]: number out of range, got -1e999$/ }],
    ['a top-level number out of range', '1e400', { line: 1, column: 1, path: '(root)', text: /^\(root\): number out of range/ }],
    [`nesting one level deeper than ${MAX_JSON_DEPTH}`, nested(MAX_JSON_DEPTH + 1), { line: 1, column: MAX_JSON_DEPTH + 1, text: new RegExp(`^nested deeper than ${MAX_JSON_DEPTH} levels$`) }],
    ['10,000 levels of arrays', `{"x": ${nested(10_000)}}`, { line: 1, column: 7 + MAX_JSON_DEPTH - 1, text: /nested deeper than 64 levels/ }],
    ['100,000 levels of objects', `\n${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`, { line: 2, column: 5 * MAX_JSON_DEPTH + 1, text: /nested deeper than 64 levels/ }],
    ['100,000 unclosed levels', nested(100_000).slice(0, 100_000), { line: 1, column: MAX_JSON_DEPTH + 1, text: /nested deeper than 64 levels/ }],
  ];
  for (const [name, text, want] of table) {
    it(name, () => {
      const r = parseJson(text);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.deepEqual([r.error.line, r.error.column, r.error.path], [want.line, want.column, want.path]);
      assert.match(jsonErrorText(r.error), want.text);
    });
  }
});

describe('parseJson takes every valid JSON text', () => {
  const table: Array<[string, string, unknown]> = [
    ['objects, arrays and literals', '{"a":[1,true,null]}', { a: [1, true, null] }],
    ['numbers in every form', '[0, -0.5, 1e3, 2E-2, 1.5e+2, 123456789012345678901234567890]', [0, -0.5, 1e3, 2e-2, 1.5e2, 123456789012345678901234567890]],
    ['a number that underflows to 0', '[1e-400]', [0]],
    ['escapes', '"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9"', '"\\/\b\f\n\r\té'],
    ['empty containers and whitespace', ' \r\n\t{ "a" : [ ] , "b" : { } } ', { a: [], b: {} }],
    ['the same key in sibling objects', '[{"a": 1}, {"a": 2}]', [{ a: 1 }, { a: 2 }]],
    ['a key named like a prototype member', '{"__proto__": 1, "constructor": 2}', JSON.parse('{"__proto__": 1, "constructor": 2}')],
    [`exactly ${MAX_JSON_DEPTH} levels`, nested(MAX_JSON_DEPTH), JSON.parse(nested(MAX_JSON_DEPTH))],
    ['a top-level string', '"x"', 'x'],
  ];
  for (const [name, text, value] of table) it(name, () => assert.deepEqual(parseJson(text), { ok: true, value }));
});
