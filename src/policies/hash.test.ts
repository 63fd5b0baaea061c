import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ctx } from './fixtures.ts';
import { nodeDigest } from '../runtime/hashes.ts';
import { djb2, fnv1a, hashFunction, requestKey } from './hash.ts';

describe('hash functions', () => {
  const table: Array<[string, (s: string) => number, string, number]> = [
    ['fnv1a empty', fnv1a, '', 0x811c9dc5],
    ['fnv1a "a"', fnv1a, 'a', 0xe40c292c],
    ['fnv1a "foobar"', fnv1a, 'foobar', 0xbf9cf968],
    ['djb2 empty', djb2, '', 5381],
    ['djb2 "a"', djb2, 'a', 177670],
    // Non-ASCII hashes its UTF-8 bytes (values from a reference implementation over "/café/ü".encode()).
    ['fnv1a non-ASCII', fnv1a, '/café/ü', 0xe5699836],
    ['djb2 non-ASCII', djb2, '/café/ü', 3645901368],
    ['md5 "abc" first word', hashFunction('md5', nodeDigest), 'abc', 0x90015098],
    ['sha1 "abc" first word', hashFunction('sha1', nodeDigest), 'abc', 0xa9993e36],
    ['md5 non-ASCII hashes UTF-8', hashFunction('md5', nodeDigest), 'é', 0x66ddcd97],
  ];
  for (const [name, fn, input, want] of table) it(name, () => assert.equal(fn(input), want));
  it('md5 without a digest from the entry is a clear error', () => assert.throws(() => hashFunction('md5'), /md5 needs a digest from the runtime entry/));
});

describe('requestKey', () => {
  const c = ctx('/p/q?user=7&x=1', '192.0.2.9', { 'x-tenant': 'acme', cookie: 'a=1; sid=s-42' });
  const table: Array<[string, string]> = [
    ['path', '/p/q'],
    ['uri', '/p/q?user=7&x=1'],
    ['ip', '192.0.2.9'],
    ['header:x-tenant', 'acme'],
    ['cookie:sid', 's-42'],
    ['query:user', '7'],
    ['header:missing', '192.0.2.9'],
    ['cookie:none', '192.0.2.9'],
    ['query:none', '192.0.2.9'],
  ];
  for (const [key, want] of table) it(key, () => assert.equal(requestKey(c, key), want));
});
