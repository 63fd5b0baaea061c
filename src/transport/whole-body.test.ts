import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WHOLE_BODY_LIMIT_BYTES, wholeBodyLength } from './whole-body.ts';

describe('wholeBodyLength: which bodies are read whole inside send', () => {
  // [name, method, status, content-length, content-encoding, decoded, expected]
  const table: Array<[string, string, number, string | null, string | null, boolean, number]> = [
    ['a small plain body', 'GET', 200, '100', null, true, 100],
    ['an empty body', 'GET', 200, '0', null, true, 0],
    ['exactly the limit', 'GET', 200, String(WHOLE_BODY_LIMIT_BYTES), null, true, WHOLE_BODY_LIMIT_BYTES],
    ['one byte over the limit streams', 'GET', 200, String(WHOLE_BODY_LIMIT_BYTES + 1), null, true, -1],
    ['a huge declared length streams', 'GET', 200, '1073741824', null, false, -1],
    ['no Content-Length (chunked) streams', 'GET', 200, null, null, false, -1],
    ['a 5xx body is read too', 'POST', 503, '4', null, true, 4],
    ['HEAD has no body', 'HEAD', 200, '11', null, false, -1],
    ['204 has no body', 'DELETE', 204, '0', null, false, -1],
    ['304 has no body', 'GET', 304, '10', null, false, -1],
    ['decoded gzip: its decoded length is unknown, so it streams', 'GET', 200, '120', 'gzip', true, -1],
    ['decoded br streams', 'GET', 200, '120', 'br', true, -1],
    ['identity is no encoding', 'GET', 200, '120', 'Identity', true, 120],
    ['not decoded, gzip bytes pass as declared', 'GET', 200, '120', 'gzip', false, 120],
    ['a list of lengths streams', 'GET', 200, '10, 10', null, true, -1],
    ['a signed length streams', 'GET', 200, '+10', null, true, -1],
    ['a fractional length streams', 'GET', 200, '1.5', null, true, -1],
    ['an empty value streams', 'GET', 200, '', null, true, -1],
    ['a length of many digits streams', 'GET', 200, '00000000000000000012', null, true, -1],
  ];
  for (const [name, method, status, length, encoding, decoded, expected] of table) {
    it(name, () => assert.equal(wholeBodyLength(method, status, length, encoding, decoded), expected));
  }
});

describe('wholeBodyLength: a transport given a lower limit', () => {
  it('reads whole up to that limit, and streams above it', () => {
    assert.equal(wholeBodyLength('GET', 200, '8192', null, false, 8192), 8192);
    assert.equal(wholeBodyLength('GET', 200, '8193', null, false, 8192), -1);
  });
});
