import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backends, options } from '../policies/fixtures.ts';
import { createPool } from './pool.ts';
import { nodeHmac } from '../runtime/hashes.ts';
import { mustIssue, newSessionId, newStickySecret, readSticky, SessionTable, stickyCookie, StickyTokens } from './sticky.ts';
import type { StickyConfig } from '../config/types.ts';

const config: StickyConfig = { cookie: 'SY', ttlMs: 600_000, secure: false, sameSite: 'Lax' };
const tokens = new StickyTokens(nodeHmac, 'a-secret-of-sixteen-chars');
const serverToken = (id: string) => tokens.token(id);

describe('sticky cookie', () => {
  const table: Array<[string, string | null, ReturnType<typeof readSticky>]> = [
    ['absent header', null, null],
    ['other cookies only', 'a=1; b=2', null],
    ['among others', 'a=1; SY=Ab-_0123456789xy.0123456789abcdef.1700000000; b=2', { token: 'Ab-_0123456789xy', sid: '0123456789abcdef', issuedAt: 1700000000 }],
    ['name is exact', 'XSY=Ab-_0123456789xy.0123456789abcdef.1700000000', null],
    ['bad session id', 'SY=Ab-_0123456789xy.nothex.1700000000', null],
    ['an unsigned (old) token', 'SY=1x2y.0123456789abcdef.1700000000', null],
    ['tampered shape', 'SY=../../etc', null],
    ['empty value', 'SY=', null],
  ];
  for (const [name, header, want] of table) it(`reads: ${name}`, () => assert.deepEqual(readSticky(header, 'SY'), want));

  it('writes a cookie it reads back, HttpOnly with Max-Age = ttl', () => {
    const v = { token: serverToken('127.0.0.1:8001'), sid: newSessionId(), issuedAt: 1700000000 };
    const set = stickyCookie(config, v);
    assert.match(set, /^SY=[A-Za-z0-9_-]{16}\.[0-9a-f]{16}\.1700000000; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax$/);
    assert.deepEqual(readSticky(set.split(';')[0], 'SY'), v);
    assert.match(stickyCookie({ ...config, sameSite: 'None' }, v), /; SameSite=None; Secure$/, 'SameSite=None needs Secure');
  });

  it('tokens are stable, opaque and distinct per server', () => {
    assert.equal(serverToken('127.0.0.1:8001'), serverToken('127.0.0.1:8001'));
    assert.notEqual(serverToken('127.0.0.1:8001'), serverToken('127.0.0.1:8002'));
    assert.doesNotMatch(serverToken('127.0.0.1:8001'), /127|8001/);
  });

  it('tokens are signed: the HMAC of the id under the secret, so a guessed address cannot be confirmed without it', () => {
    const expected = Buffer.from(nodeHmac('a-secret-of-sixteen-chars', '127.0.0.1:8001').subarray(0, 12)).toString('base64url');
    assert.equal(serverToken('127.0.0.1:8001'), expected);
    assert.notEqual(new StickyTokens(nodeHmac, 'another-secret-here!').token('127.0.0.1:8001'), expected, 'another secret, another token');
  });

  it('a new secret is 32 random bytes (hex), different each time', () => {
    const a = newStickySecret();
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.notEqual(newStickySecret(), a);
  });

  const issue: Array<[string, ReturnType<typeof readSticky>, string, number, boolean]> = [
    ['no cookie', null, 'a', 1000, true],
    ['same server, fresh', { token: 'a', sid: '0'.repeat(16), issuedAt: 1000 }, 'a', 1100, false],
    ['same server, past half the ttl', { token: 'a', sid: '0'.repeat(16), issuedAt: 1000 }, 'a', 1300, true],
    ['another server now', { token: 'a', sid: '0'.repeat(16), issuedAt: 1000 }, 'b', 1001, true],
  ];
  for (const [name, current, token, nowS, want] of issue) it(`issues a cookie: ${name} → ${want}`, () => assert.equal(mustIssue(current, token, nowS, config.ttlMs), want));
});

describe('StickyTokens.backend', () => {
  const stickyBackend = (pool: Parameters<StickyTokens['backend']>[0], token: string, accept: (b: import('./types.ts').Backend) => boolean) => tokens.backend(pool, token, accept);
  const [a, b, c] = backends([1, 1, 1]);
  const bk = { ...c, backup: true };
  const list = createPool([a, b, bk], 'round_robin', options());
  const all = () => true;
  it('finds the named server when accepted', () => assert.equal(stickyBackend(list, serverToken(b.id), all), b));
  it('gives none for an unknown token or a refused server', () => {
    assert.equal(stickyBackend(list, 'zzz', all), undefined);
    assert.equal(stickyBackend(list, serverToken(b.id), (x) => x !== b), undefined);
  });
  it('keeps a backup only while no primary is accepted', () => {
    assert.equal(stickyBackend(list, serverToken(bk.id), all), undefined);
    assert.equal(stickyBackend(list, serverToken(bk.id), (x) => x.backup), bk);
  });
});

describe('SessionTable', () => {
  it('counts live sessions per server and forgets idle ones after the ttl', () => {
    const t = new SessionTable(1000);
    t.touch('s1', 'A', 0);
    t.touch('s2', 'A', 100);
    t.touch('s3', 'B', 200);
    t.touch('s1', 'B', 900); // s1 moved to B and is fresh again
    assert.deepEqual([...t.count(950)], [['A', 1], ['B', 2]]);
    assert.deepEqual([...t.count(1150)], [['B', 2]], 's2 idle for 1,050 ms');
    assert.deepEqual([...t.count(1950)], []);
  });
  it('is bounded: beyond the limit the least recently seen go first', () => {
    const t = new SessionTable(10_000, 2);
    t.touch('s1', 'A', 0);
    t.touch('s2', 'A', 1);
    t.touch('s1', 'A', 2);
    t.touch('s3', 'A', 3);
    assert.deepEqual([...t.count(4)], [['A', 2]]);
  });
});
