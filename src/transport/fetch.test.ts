import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runTransportTests } from './contract.ts';
import { fetchTransport, onlyDecoded } from './fetch.ts';

// Node's global fetch decodes gzip/br/deflate, so it is the decoding transport here (the Node entry uses undici).
runTransportTests('fetch (Node)', () => fetchTransport(), {
  decodesBodies: true,
  statusText: 'as-sent',
  skip: { 'a response head of 60 KiB passes': "Node's global fetch keeps undici's 16 KiB head limit (no entry uses it: Node's is the undici transport, given 64 KiB)" },
});

describe('onlyDecoded: Accept-Encoding cut down to what the runtime decodes', () => {
  const decodes = new Set(['gzip', 'br']);
  const table: Array<[string, string | null, string | null]> = [
    ['absent stays absent (the runtime asks for its own)', null, null],
    ['only decoded codings: unchanged', 'gzip, br', 'gzip, br'],
    ['a browser’s list loses deflate and zstd', 'gzip, deflate, br, zstd', 'gzip, br'],
    ['q-values and identity are kept', 'br;q=1.0, zstd;q=0.9, gzip;q=0.5, identity;q=0.1', 'br;q=1.0, gzip;q=0.5, identity;q=0.1'],
    ['codings compare case-insensitively', 'GZIP, Deflate', 'GZIP'],
    ['nothing decodable left: identity', 'zstd, deflate', 'identity'],
    ['* would let the server choose: identity', '*', 'identity'],
  ];
  for (const [name, given, sent] of table) {
    it(name, () => {
      const headers = new Headers(given === null ? {} : { 'accept-encoding': given, 'x-other': 'kept' });
      const out = onlyDecoded(headers, decodes);
      assert.equal(out.get('accept-encoding'), sent);
      if (given !== null) assert.equal(out.get('x-other'), 'kept');
      assert.equal(headers.get('accept-encoding'), given, 'the caller’s headers are not changed');
      if (given === sent) assert.equal(out, headers, 'no copy when nothing changes');
    });
  }
});
