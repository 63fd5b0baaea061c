import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundedKey, cookieValue, limitKeyOf, MAX_KEY_CHARS, rateText } from './keys.ts';

describe('limit keys', () => {
  const info = { clientIp: '10.0.0.7' };
  const req = (headers: Record<string, string>) => new Request('http://lb.test/', { headers });

  it('reads the key each limit counts by; a missing header or cookie is the empty (shared) key', () => {
    const r = req({ 'x-api-key': 'k1', cookie: 'a=1; session=s2; b=3' });
    assert.equal(limitKeyOf({ by: 'ip' }, r, info), '10.0.0.7');
    assert.equal(limitKeyOf({ by: 'header', name: 'x-api-key' }, r, info), 'k1');
    assert.equal(limitKeyOf({ by: 'cookie', name: 'session' }, r, info), 's2');
    assert.equal(limitKeyOf({ by: 'route' }, r, info), '');
    assert.equal(limitKeyOf({ by: 'header', name: 'x-other' }, r, info), '');
    assert.equal(limitKeyOf({ by: 'cookie', name: 'none' }, r, info), '');
  });

  it('cookie values by exact name', () => {
    assert.equal(cookieValue('xsession=1; session=2', 'session'), '2');
    assert.equal(cookieValue('session=a=b', 'session'), 'a=b');
    assert.equal(cookieValue(null, 'session'), undefined);
    assert.equal(cookieValue('garbage', 'session'), undefined);
  });

  it('a long value is kept short, and two long values differ', () => {
    const a = 'x'.repeat(10_000);
    const b = `${'x'.repeat(9_999)}y`;
    assert.equal(boundedKey('short'), 'short');
    assert.ok(boundedKey(a).length < MAX_KEY_CHARS);
    assert.notEqual(boundedKey(a), boundedKey(b));
    assert.equal(boundedKey(a), boundedKey(a));
  });

  it('spells the rate as the config does', () => {
    const table: Array<[number, number, string]> = [
      [10, 1000, '10/s'],
      [1000, 60_000, '1000/m'],
      [5, 10_000, '5/10s'],
      [60, 3_600_000, '60/h'],
      [100, 250, '100/250ms'],
      [1, 120_000, '1/2m'],
    ];
    for (const [limit, periodMs, want] of table) assert.equal(rateText(limit, periodMs), want);
  });
});
