/** What an HTTP/2 response may carry on Node: connection-specific headers removed, everything else kept. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { http2Response, http2SafeResponses } from './http2.ts';

const cases: Array<{ name: string; headers: Array<[string, string]>; kept: Array<[string, string]> }> = [
  { name: 'a clean response', headers: [['content-type', 'text/plain'], ['x-a', '1']], kept: [['content-type', 'text/plain'], ['x-a', '1']] },
  { name: 'Connection and the header it names', headers: [['connection', 'close, x-private'], ['x-private', 's'], ['x-a', '1']], kept: [['x-a', '1']] },
  { name: 'Keep-Alive', headers: [['keep-alive', 'timeout=5'], ['x-a', '1']], kept: [['x-a', '1']] },
  { name: 'Transfer-Encoding', headers: [['transfer-encoding', 'chunked'], ['x-a', '1']], kept: [['x-a', '1']] },
  { name: 'Upgrade', headers: [['upgrade', 'h2c'], ['x-a', '1']], kept: [['x-a', '1']] },
  { name: 'Proxy-Connection', headers: [['proxy-connection', 'keep-alive'], ['x-a', '1']], kept: [['x-a', '1']] },
  { name: 'TE and Trailer', headers: [['te', 'trailers'], ['trailer', 'x-sum'], ['x-a', '1']], kept: [['x-a', '1']] },
];

describe('http2Response', () => {
  for (const c of cases) {
    it(`${c.name}: keeps ${c.kept.map(([n]) => n).join(', ')}`, async () => {
      // Bytes: a string body would add its own content-type.
      const original = new Response(new TextEncoder().encode('body'), { status: 201, statusText: 'Made', headers: c.headers });
      const r = http2Response(original);
      assert.deepEqual([...r.headers], [...new Headers(c.kept)]);
      assert.deepEqual([r.status, r.statusText, await r.text()], [201, 'Made', 'body']);
      assert.equal(r === original, c.headers.length === c.kept.length, 'a clean response is passed as it is');
    });
  }
});

describe('http2SafeResponses', () => {
  const handler = () => new Response(null, { status: 204, headers: { connection: 'close', 'x-a': '1' } });
  it('filters responses to HTTP/2 requests only, sync and async', async () => {
    const safe = http2SafeResponses(handler);
    const h2env = { incoming: { httpVersionMajor: 2 } };
    assert.equal(((await safe(new Request('https://x/'), h2env)) as Response).headers.has('connection'), false);
    assert.equal(((await safe(new Request('https://x/'), { incoming: { httpVersionMajor: 1 } })) as Response).headers.get('connection'), 'close');
    const asyncSafe = http2SafeResponses(async () => handler());
    assert.equal((await asyncSafe(new Request('https://x/'), h2env)).headers.get('x-a'), '1');
    assert.equal((await asyncSafe(new Request('https://x/'), h2env)).headers.has('connection'), false);
  });
});
