import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SETTLE_MS, WRITES_LISTED, sameWrite, stampWrite, writeFate, type OpenWrite, type WriteFate } from './services-writes.ts';
import type { ServicesDocument, WriteMark } from './types.ts';

const T = 1_700_000_000_000;

/** A document at `version` whose writes are `marks` (`[version, id]`). */
function doc(version: number, marks?: Array<[number, string]>): ServicesDocument {
  return { version, updated_at: T, services: {}, routes: [], ...(marks ? { writes: marks.map(([v, id]): WriteMark => ({ version: v, id })) } : {}) };
}

/** This instance's write `id` of version 5, made at T. */
const mine: OpenWrite = { mark: { version: 5, id: 'mine' }, what: 'add server 10.0.0.1:80 to service default', at: T };

describe('writeFate: what a later read says about a write', () => {
  const soon = T + 1_000;
  const late = T + SETTLE_MS;
  const table: Array<[string, ServicesDocument, number, WriteFate]> = [
    ['the document lists it, soon after: a slower copy could still show otherwise', doc(5, [[4, 'a'], [5, 'mine']]), soon, 'open'],
    ['the document lists it, long after: kept', doc(5, [[4, 'a'], [5, 'mine']]), late, 'kept'],
    ['a later document that comes from it, long after: kept', doc(7, [[5, 'mine'], [6, 'b'], [7, 'c']]), late, 'kept'],
    ['another write took its version: lost at once', doc(5, [[4, 'a'], [5, 'theirs']]), soon, 'lost'],
    ['a later document from another write of that version: lost', doc(7, [[5, 'theirs'], [6, 'b'], [7, 'c']]), soon, 'lost'],
    ['an older version, soon after: the store may not show it yet', doc(4, [[4, 'a']]), soon, 'open'],
    ['an older version, long after: overwritten by a writer that started further back', doc(4, [[3, 'x'], [4, 'old']]), late, 'lost'],
    ['more writes since than the document lists', doc(5 + WRITES_LISTED, [[6, 'b']]), soon, 'unknown'],
    ['a document without marks (written before them)', doc(6), soon, 'unknown'],
  ];
  for (const [name, d, now, fate] of table) {
    it(`${name} → ${fate}`, () => assert.equal(writeFate(d, mine, now), fate));
  }
});

describe('stampWrite: the next document lists its write', () => {
  it('one version on, at the time given, its mark last', () => {
    const next = stampWrite({ services: { api: { origin: 'api', servers: [] } }, routes: [] }, doc(4, [[4, 'a']]), T + 5, 'w5');
    assert.deepEqual(next, {
      version: 5,
      updated_at: T + 5,
      services: { api: { origin: 'api', servers: [] } },
      routes: [],
      writes: [
        { version: 4, id: 'a' },
        { version: 5, id: 'w5' },
      ],
    });
    assert.equal(writeFate(next, { mark: { version: 5, id: 'w5' }, what: '', at: T }, T + SETTLE_MS), 'kept');
  });

  it(`lists the latest ${WRITES_LISTED} writes only`, () => {
    let d = doc(0);
    for (let i = 1; i <= WRITES_LISTED + 3; i++) d = stampWrite(d, d, T + i, `w${i}`);
    assert.equal(d.writes!.length, WRITES_LISTED);
    assert.deepEqual(d.writes![0], { version: 4, id: 'w4' });
    assert.deepEqual(d.writes!.at(-1), { version: WRITES_LISTED + 3, id: `w${WRITES_LISTED + 3}` });
  });
});

describe('sameWrite', () => {
  const table: Array<[string, ServicesDocument, ServicesDocument, boolean]> = [
    ['one write', doc(5, [[5, 'a']]), doc(5, [[4, 'x'], [5, 'a']]), true],
    ['two writers of one version (KV: the one a reader has is not the stored one)', doc(5, [[5, 'a']]), doc(5, [[5, 'b']]), false],
    ['another version', doc(5, [[5, 'a']]), doc(6, [[5, 'a'], [6, 'b']]), false],
    ['the config\'s own document and a stored one of another version, neither with marks', doc(0), doc(3), false],
  ];
  for (const [name, a, b, same] of table) it(`${name} → ${same}`, () => assert.equal(sameWrite(a, b), same));
});
