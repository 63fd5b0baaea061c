/** The compression decision, Accept-Encoding parsing and the header changes, by table. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compressionSettings, DEFAULT_COMPRESSIBLE_TYPES } from '../config/compression-schema.ts';
import { addVary, compressedHeaders, compressionRules, parseAcceptEncoding, pickEncoding, planCompression, type CompressionQuery } from './compress.ts';

const rules = compressionRules(compressionSettings({ compression: {} })!);

describe('compressible types (the defaults)', () => {
  const table: Array<[string, boolean]> = [
    ['text/html', true],
    ['text/plain', true],
    ['text/css', true],
    ['text/javascript', true],
    ['text/csv', true],
    ['text/event-stream', false],
    ['application/json', true],
    ['application/problem+json', true],
    ['application/ld+json', true],
    ['application/xml', true],
    ['application/rss+xml', true],
    ['application/javascript', true],
    ['application/wasm', true],
    ['image/svg+xml', true],
    ['image/png', false],
    ['image/jpeg', false],
    ['image/webp', false],
    ['audio/mpeg', false],
    ['video/mp4', false],
    ['application/zip', false],
    ['application/gzip', false],
    ['application/octet-stream', false],
    ['font/woff2', false],
    ['application/jsonx', false],
    ['xtext/html', false],
  ];
  for (const [type, want] of table) it(`${type}: ${want}`, () => assert.equal(rules.compressible(type), want));

  it('a configured list replaces the defaults; text/event-stream stays out even under text/*', () => {
    const own = compressionRules({ encodings: ['gzip'], minBytes: 0, types: ['text/*', 'application/x-ndjson'] });
    assert.equal(own.compressible('application/x-ndjson'), true);
    assert.equal(own.compressible('application/json'), false);
    assert.equal(own.compressible('text/event-stream'), false);
    assert.ok(DEFAULT_COMPRESSIBLE_TYPES.includes('text/*'));
  });
});

describe('parseAcceptEncoding and pickEncoding', () => {
  const table: Array<[string, string | null, boolean]> = [
    // [Accept-Encoding, picked of [br, gzip], identity refused]
    ['gzip', 'gzip', false],
    ['br', 'br', false],
    ['gzip, br', 'br', false],
    ['br, gzip', 'br', false],
    ['gzip, deflate, br, zstd', 'br', false],
    ['gzip;q=1.0, br;q=0.5', 'gzip', false],
    ['br;q=0.5, gzip;q=0.8', 'gzip', false],
    ['gzip;q=0.5, br;q=0.5', 'br', false],
    ['GZIP', 'gzip', false],
    ['x-gzip', 'gzip', false],
    ['gzip;Q=0.4', 'gzip', false],
    ['gzip;q=0', null, false],
    ['br;q=0, gzip;q=0', null, false],
    ['*', 'br', false],
    ['*;q=0.1, gzip;q=0.5', 'gzip', false],
    ['*;q=0.5, br;q=0', 'gzip', false],
    ['*;q=0', null, true],
    ['identity', null, false],
    ['identity;q=0', null, true],
    ['identity;q=0, gzip', 'gzip', true],
    ['*;q=0, identity', null, false],
    ['deflate', null, false],
    ['', null, false],
    [' , ,', null, false],
    ['gzip;q=2', null, false],
    ['gzip;q=0.1234', null, false],
    ['gzip;q=abc', null, false],
    ['gzip;q=0.001', 'gzip', false],
    ['gzip;level=9', 'gzip', false],
    ['gzip;q=0, gzip', null, false],
  ];
  for (const [header, want, refused] of table) {
    it(`${JSON.stringify(header)} → ${want}${refused ? ', identity refused' : ''}`, () => {
      const a = parseAcceptEncoding(header);
      assert.equal(pickEncoding(a, ['br', 'gzip']), want);
      assert.equal(a.identityRefused, refused);
    });
  }

  it("the balancer's order breaks the client's ties", () => {
    assert.equal(pickEncoding(parseAcceptEncoding('br, gzip'), ['gzip', 'br']), 'gzip');
    assert.equal(pickEncoding(parseAcceptEncoding('br, gzip'), ['gzip']), 'gzip');
    assert.equal(pickEncoding(parseAcceptEncoding('br'), ['gzip']), null);
  });
});

describe('planCompression', () => {
  const base = { 'content-type': 'text/html; charset=utf-8', 'content-length': '5000' };
  const q = (over: Partial<Omit<CompressionQuery, 'headers'>> = {}, headers: Record<string, string> = base): CompressionQuery => ({
    method: 'GET',
    acceptEncoding: 'gzip, br',
    status: 200,
    headers: new Headers(headers),
    ...over,
  });
  const table: Array<[string, CompressionQuery, string | null, boolean]> = [
    // [case, query, encoding, vary]
    ['a compressible 200 the client accepts', q(), 'br', true],
    ['unknown length (chunked)', q({}, { 'content-type': 'text/plain' }), 'br', true],
    ['exactly min_bytes', q({}, { 'content-type': 'text/plain', 'content-length': '1024' }), 'br', true],
    ['below min_bytes', q({}, { 'content-type': 'text/plain', 'content-length': '1023' }), null, true],
    ['below min_bytes, read whole', q({ bodyBytes: 10 }, { 'content-type': 'text/plain' }), null, true],
    ['read whole, large', q({ bodyBytes: 4096 }, { 'content-type': 'text/plain' }), 'br', true],
    ['below min_bytes, identity refused', q({ acceptEncoding: 'gzip, identity;q=0' }, { 'content-type': 'text/plain', 'content-length': '10' }), 'gzip', true],
    ['no Accept-Encoding', q({ acceptEncoding: null }), null, true],
    ['Accept-Encoding: identity', q({ acceptEncoding: 'identity' }), null, true],
    ['only codings not offered', q({ acceptEncoding: 'deflate, zstd' }), null, true],
    ['already gzip', q({}, { ...base, 'content-encoding': 'gzip' }), null, false],
    ['already br', q({}, { ...base, 'content-encoding': 'br' }), null, false],
    ['Content-Encoding: identity', q({}, { ...base, 'content-encoding': 'identity' }), 'br', true],
    ['an image', q({}, { 'content-type': 'image/png', 'content-length': '5000' }), null, false],
    ['no Content-Type', q({}, { 'content-length': '5000' }), null, false],
    ['text/event-stream', q({}, { 'content-type': 'text/event-stream' }), null, false],
    ['HEAD', q({ method: 'HEAD' }), null, true],
    ['304', q({ status: 304 }), null, true],
    ['204', q({ status: 204 }), null, false],
    ['206', q({ status: 206 }, { ...base, 'content-range': 'bytes 0-4999/10000' }), null, false],
    ['a Content-Range on a 200', q({}, { ...base, 'content-range': 'bytes 0-4999/10000' }), null, false],
    ['101', q({ status: 101 }), null, false],
    ['a 404 page', q({ status: 404 }), 'br', true],
    ['a 500 page', q({ status: 500 }), 'br', true],
    ['Cache-Control: no-transform', q({}, { ...base, 'cache-control': 'public, no-transform' }), null, false],
    ['Cache-Control: NO-TRANSFORM', q({}, { ...base, 'cache-control': 'NO-TRANSFORM' }), null, false],
    ['Cache-Control without no-transform', q({}, { ...base, 'cache-control': 'max-age=60, no-store' }), 'br', true],
    ['application/json', q({}, { 'content-type': 'application/json', 'content-length': '2000' }), 'br', true],
    ['gzip preferred', q({ acceptEncoding: 'gzip;q=1, br;q=0.9' }), 'gzip', true],
    ['a bogus Content-Length counts as unknown', q({}, { 'content-type': 'text/plain', 'content-length': 'x' }), 'br', true],
  ];
  for (const [name, query, encoding, vary] of table) {
    it(`${name} → ${encoding ?? 'as it is'}${vary ? ', Vary' : ''}`, () => assert.deepEqual(planCompression(rules, query), { encoding, vary }));
  }

  it('picks among the configured encodings only', () => {
    const gzipOnly = compressionRules({ encodings: ['gzip'], minBytes: 1024, types: ['text/*'] });
    assert.deepEqual(planCompression(gzipOnly, q()), { encoding: 'gzip', vary: true });
    assert.deepEqual(planCompression(gzipOnly, q({ acceptEncoding: 'br' })), { encoding: null, vary: true });
  });
});

describe('the headers', () => {
  const table: Array<[string | null, string]> = [
    [null, 'Accept-Encoding'],
    ['', 'Accept-Encoding'],
    ['Origin', 'Origin, Accept-Encoding'],
    ['accept-encoding', 'accept-encoding'],
    ['Origin, Accept-Encoding', 'Origin, Accept-Encoding'],
    ['*', '*'],
  ];
  for (const [before, after] of table) {
    it(`Vary ${JSON.stringify(before)} → ${JSON.stringify(after)}`, () => {
      const h = new Headers(before === null ? {} : { vary: before });
      addVary(h);
      assert.equal(h.get('vary'), after);
      addVary(h);
      assert.equal(h.get('vary'), after, 'never twice');
    });
  }

  it('two Vary fields are merged once', () => {
    const h = new Headers([
      ['vary', 'Origin'],
      ['vary', 'Cookie'],
    ]);
    addVary(h);
    assert.equal(h.get('vary'), 'Origin, Cookie, Accept-Encoding');
  });

  it('compressed: Content-Encoding set, Content-Length and Accept-Ranges gone, the ETag weak, Vary added', () => {
    const h = new Headers({ 'content-length': '5000', 'accept-ranges': 'bytes', etag: '"abc"', 'content-type': 'text/html' });
    compressedHeaders(h, 'gzip');
    assert.deepEqual(Object.fromEntries(h), { 'content-encoding': 'gzip', etag: 'W/"abc"', vary: 'Accept-Encoding', 'content-type': 'text/html' });
  });

  it('a weak ETag stays as it is', () => {
    const h = new Headers({ etag: 'W/"abc"' });
    compressedHeaders(h, 'br');
    assert.equal(h.get('etag'), 'W/"abc"');
  });
});
