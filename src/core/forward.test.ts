import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { downstreamHeaders, isBodyless, isLoopback, normalizeIp, stripHopByHop, upstreamHeaders } from './forward.ts';

/** Headers as a sorted list of [name, value], so whole sets compare at once. */
function list(h: Headers): Array<[string, string]> {
  return [...h].sort(([a], [b]) => a.localeCompare(b));
}

const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
];

describe('stripHopByHop', () => {
  for (const name of HOP_BY_HOP) {
    it(`removes ${name}`, () => {
      const h = stripHopByHop(new Headers({ [name]: 'x', 'content-type': 'text/plain' }));
      assert.deepEqual(list(h), [['content-type', 'text/plain']]);
    });
  }

  it('removes them all at once, whatever their case, and keeps end-to-end headers', () => {
    const h = new Headers({ accept: '*/*', 'x-keep': '1' });
    for (const name of HOP_BY_HOP) h.set(name.toUpperCase(), 'v');
    assert.deepEqual(list(stripHopByHop(h)), [['accept', '*/*'], ['x-keep', '1']]);
  });

  const named: Array<[string, string, Record<string, string>, string[]]> = [
    // name, Connection value, other headers, what remains
    ['one named header', 'x-private', { 'x-private': '1', 'x-keep': '1' }, ['x-keep']],
    ['several, comma-separated', 'x-a,x-b', { 'x-a': '1', 'x-b': '1', 'x-keep': '1' }, ['x-keep']],
    ['spaces around tokens', '  x-a ,   x-b  ', { 'x-a': '1', 'x-b': '1', 'x-keep': '1' }, ['x-keep']],
    ['tokens in another case', 'X-Private, KEEP-ALIVE', { 'x-private': '1', 'keep-alive': 'timeout=5', 'x-keep': '1' }, ['x-keep']],
    ['empty tokens are skipped', ',, x-a, ,', { 'x-a': '1', 'x-keep': '1' }, ['x-keep']],
    ['close names nothing real', 'close', { 'x-keep': '1' }, ['x-keep']],
    ['a named header that is absent', 'x-absent', { 'x-keep': '1' }, ['x-keep']],
  ];
  for (const [name, connection, others, remain] of named) {
    it(`Connection-named headers: ${name}`, () => {
      const h = stripHopByHop(new Headers({ connection, ...others }));
      assert.deepEqual([...h.keys()].sort(), remain);
    });
  }

  it('honours every Connection header line (they join into one list)', () => {
    const h = new Headers([['connection', 'x-a'], ['connection', 'x-b'], ['x-a', '1'], ['x-b', '1'], ['x-c', '1']]);
    assert.deepEqual([...stripHopByHop(h).keys()], ['x-c']);
  });

  it('works in place and returns the same Headers', () => {
    const h = new Headers({ te: 'trailers' });
    assert.equal(stripHopByHop(h), h);
    assert.equal(h.has('te'), false);
  });
});

describe('upstreamHeaders', () => {
  const info = { clientIp: '203.0.113.7', proto: 'https', host: 'shop.example' };
  const table: Array<[string, Record<string, string>, typeof info, Record<string, string>]> = [
    [
      'sets X-Forwarded-* and drops Host',
      { host: 'shop.example', accept: 'text/html' },
      info,
      { accept: 'text/html', 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example' },
    ],
    [
      'appends the client to an existing X-Forwarded-For',
      { 'x-forwarded-for': '198.51.100.1' },
      info,
      { 'x-forwarded-for': '198.51.100.1, 203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example' },
    ],
    [
      'appends to a longer chain, keeping its order',
      { 'x-forwarded-for': '198.51.100.1, 192.0.2.2' },
      info,
      { 'x-forwarded-for': '198.51.100.1, 192.0.2.2, 203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example' },
    ],
    [
      "replaces the client's own X-Forwarded-Proto and -Host",
      { 'x-forwarded-proto': 'ftp', 'x-forwarded-host': 'evil.example' },
      { ...info, proto: 'http' },
      { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'shop.example' },
    ],
    [
      'drops Expect: the balancer already answered 100 Continue, and a backend\'s 100 would be a second one',
      { expect: '100-continue', 'content-length': '5000000' },
      info,
      { 'content-length': '5000000', 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example' },
    ],
    [
      'removes hop-by-hop and Connection-named headers',
      { connection: 'x-hop', 'x-hop': '1', 'keep-alive': 'timeout=5', te: 'trailers', 'x-end': '1' },
      info,
      { 'x-end': '1', 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example' },
    ],
    [
      'keeps the incoming X-Forwarded-For even when Connection names it',
      { connection: 'x-forwarded-for', 'x-forwarded-for': '198.51.100.1' },
      info,
      { 'x-forwarded-for': '198.51.100.1, 203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example' },
    ],
    [
      'an IPv6 client',
      {},
      { ...info, clientIp: '2001:db8::1' },
      { 'x-forwarded-for': '2001:db8::1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example' },
    ],
  ];
  for (const [name, incoming, forward, want] of table) {
    it(name, () => {
      assert.deepEqual(list(upstreamHeaders(new Headers(incoming), forward)), list(new Headers(want)));
    });
  }

  it('leaves the incoming Headers untouched', () => {
    const incoming = new Headers({ host: 'shop.example', connection: 'x-hop', 'x-hop': '1', 'x-forwarded-for': '198.51.100.1' });
    const before = list(incoming);
    upstreamHeaders(incoming, info);
    assert.deepEqual(list(incoming), before);
  });
});

describe('downstreamHeaders', () => {
  const table: Array<[string, Record<string, string>, boolean, Record<string, string>]> = [
    [
      'decoded by the transport: encoding and length no longer describe the body',
      { 'content-encoding': 'gzip', 'content-length': '120', 'content-type': 'text/html' },
      true,
      { 'content-type': 'text/html' },
    ],
    [
      'passed through untouched: encoding and length kept',
      { 'content-encoding': 'gzip', 'content-length': '120', 'content-type': 'text/html' },
      false,
      { 'content-encoding': 'gzip', 'content-length': '120', 'content-type': 'text/html' },
    ],
    [
      'decoding transport, but the body was not encoded: length kept',
      { 'content-length': '120', 'content-type': 'text/html' },
      true,
      { 'content-length': '120', 'content-type': 'text/html' },
    ],
    [
      'hop-by-hop removed',
      { 'transfer-encoding': 'chunked', connection: 'keep-alive, x-hop', 'keep-alive': 'timeout=5', 'x-hop': '1', etag: '"a"' },
      false,
      { etag: '"a"' },
    ],
  ];
  for (const [name, upstream, decoded, want] of table) {
    it(name, () => {
      assert.deepEqual(list(downstreamHeaders(new Headers(upstream), decoded)), list(new Headers(want)));
    });
  }

  it('keeps every Set-Cookie line apart', () => {
    const upstream = new Headers([['set-cookie', 'a=1; Path=/'], ['set-cookie', 'b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT']]);
    assert.deepEqual(downstreamHeaders(upstream, true).getSetCookie(), ['a=1; Path=/', 'b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT']);
  });

  it('leaves the upstream Headers untouched', () => {
    const upstream = new Headers({ 'content-encoding': 'br', 'content-length': '9', connection: 'close' });
    downstreamHeaders(upstream, true);
    assert.deepEqual(list(upstream), [['connection', 'close'], ['content-encoding', 'br'], ['content-length', '9']]);
  });
});

describe('isBodyless', () => {
  const table: Array<[string, number, boolean]> = [
    ['HEAD', 200, true],
    ['HEAD', 404, true],
    ['GET', 200, false],
    ['POST', 201, false],
    ['GET', 204, true],
    ['DELETE', 204, true],
    ['GET', 304, true],
    ['GET', 100, true],
    ['GET', 101, true],
    ['GET', 199, true],
    ['GET', 205, false],
    ['GET', 299, false],
    ['GET', 302, false],
    ['GET', 500, false],
  ];
  for (const [method, status, want] of table) {
    it(`${method} ${status} → ${want ? 'no body' : 'body'}`, () => assert.equal(isBodyless(method, status), want));
  }
});

describe('normalizeIp', () => {
  const table: Array<[string, string]> = [
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['203.0.113.7', '203.0.113.7'],
    ['::1', '::1'],
    ['2001:db8::1', '2001:db8::1'],
    ['::ffff:abcd', '::ffff:abcd'], // an IPv6 address, not a mapped IPv4 one
    ['', ''],
  ];
  for (const [ip, want] of table) {
    it(`${JSON.stringify(ip)} → ${JSON.stringify(want)}`, () => assert.equal(normalizeIp(ip), want));
  }
});

describe('isLoopback', () => {
  const table: Array<[string, boolean]> = [
    ['127.0.0.1', true],
    ['127.0.0.2', true],
    ['127.255.255.254', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:127.9.9.9', true],
    ['::2', false],
    ['::', false],
    ['0.0.0.0', false],
    ['1.127.0.0', false],
    ['128.0.0.1', false],
    ['12.7.0.1', false],
    ['10.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['2001:db8::1', false],
    ['', false],
    ['localhost', false], // a name, not an address: clients come as addresses
  ];
  for (const [ip, want] of table) {
    it(`${JSON.stringify(ip)} → ${want}`, () => assert.equal(isLoopback(ip), want));
  }

  // Only a dotted-quad 127.x.y.z is 127.0.0.0/8 (the check gates admin writes without a token).
  const lookAlikes = ['127.example', '127.', '127.0.0.1.example', '::ffff:127.example', '127.0.0.256'];
  it('look-alikes of 127.x are not loopback', () => {
    assert.deepEqual(lookAlikes.filter(isLoopback), []);
  });
});
