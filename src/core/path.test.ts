import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizePath, normalizeUrl, pathSpan } from './path.ts';

describe('normalizePath', () => {
  const normal: Array<[string, string]> = [
    ['/', '/'],
    ['/a/b', '/a/b'],
    ['/a/b/', '/a/b/'],
    ['/.well-known/x', '/.well-known/x'],
    ['/a/.../b', '/a/.../b'],
    ['/a/..b/c.', '/a/..b/c.'],
    // merge_slashes
    ['//api/servers', '/api/servers'],
    ['/a//b///c', '/a/b/c'],
    ['//', '/'],
    ['/a//', '/a/'],
    // dot segments
    ['/x/../api/servers', '/api/servers'],
    ['/a/./b', '/a/b'],
    ['/a/.', '/a/'],
    ['/a/b/..', '/a/'],
    ['/a/..', '/'],
    ['/.', '/'],
    ['/./', '/'],
    ['/a/b/../../c', '/c'],
    // merged before resolved, as nginx does: the empty segment is no segment
    ['/a//../b', '/b'],
    ['//x/..//api/servers', '/api/servers'],
    // an encoded dot is a dot
    ['/x/%2e%2e/api/servers', '/api/servers'],
    ['/x/%2E./api', '/api'],
    ['/x/.%2e/api', '/api'],
    ['/a/%2e/b', '/a/b'],
    ['/a/%2e', '/a/'],
    // an encoded slash is not a slash, and other encodings stay as sent
    ['/x%2F..%2Fapi/servers', '/x%2F..%2Fapi/servers'],
    ['/a/..%2Fb', '/a/..%2Fb'],
    ['/a%2e/b', '/a%2e/b'],
    ['/%61pi//b', '/%61pi/b'],
    ['/a b/%20', '/a b/%20'],
    // not a path: as it is
    ['*', '*'],
    ['', ''],
  ];
  for (const [given, want] of normal) {
    it(`${JSON.stringify(given)} → ${JSON.stringify(want)}`, () => assert.deepEqual(normalizePath(given), { ok: true, path: want }));
  }

  const refused: Array<[string, RegExp]> = [
    ['/..', /climbs above the root/],
    ['/../api/servers', /climbs above the root/],
    ['/a/../../b', /climbs above the root/],
    ['/%2e%2e/x', /climbs above the root/],
    ['//../x', /climbs above the root/],
    ['/a\\..\\api', /backslash/],
    ['/\\api/servers', /backslash/],
    ['/a/.\t./api', /control character/],
    ['/a\n/b', /control character/],
    ['/a/\x00', /control character/],
  ];
  for (const [given, reason] of refused) {
    it(`${JSON.stringify(given)} is refused`, () => {
      const n = normalizePath(given);
      assert.equal(n.ok, false);
      assert.match((n as { reason: string }).reason, reason);
    });
  }

  it('every normal form is a fixed point, also of the WHATWG URL parser', () => {
    for (const [, want] of normal) {
      if (!want.startsWith('/')) continue;
      assert.deepEqual(normalizePath(want), { ok: true, path: want });
      const parsed = new URL(`http://h${want}`).pathname;
      assert.deepEqual(normalizePath(parsed), { ok: true, path: parsed }, `${want} parsed as ${parsed}`);
      assert.equal(decodeURI(parsed), decodeURI(want), `${want}: the URL parser changes no segment`);
    }
  });
});

describe('normalizeUrl', () => {
  it('changes only the path, keeping the origin, the query and the same string when already normal', () => {
    const same = 'http://127.0.0.1:8080/a/b?x=1';
    assert.equal((normalizeUrl(same) as { url: string }).url, same);
    assert.deepEqual(normalizeUrl('http://[::1]:8080//x/../api/servers?q=/../a//b'), { ok: true, url: 'http://[::1]:8080/api/servers?q=/../a//b' });
    assert.deepEqual(normalizeUrl('http://h//a#/../b'), { ok: true, url: 'http://h/a#/../b' });
    assert.deepEqual(normalizeUrl('http://h/../x?y'), { ok: false, reason: 'a ".." segment climbs above the root', path: '/../x' });
  });

  it('finds the path after the authority, as Hono does', () => {
    const url = 'https://a.example:1/p/q?r#s';
    const { start, end } = pathSpan(url);
    assert.equal(url.slice(start, end), '/p/q');
    assert.deepEqual(pathSpan('http://h'), { start: 8, end: 8 });
  });
});
