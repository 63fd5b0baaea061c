import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testConfig } from '../../test/fixtures/config.ts';
import type { TestEnv as ConnEnv } from '../../test/fixtures/app.ts';
import { createApp, type Platform } from '../app.ts';
import type { Config } from '../config/types.ts';
import { nodeHmac } from '../runtime/hashes.ts';
import { undiciTransport } from '../transport/undici.ts';

const transport = undiciTransport();
const local: ConnEnv = { clientIp: '127.0.0.1' };

function make(config: Config, more: Partial<Platform> = {}) {
  return createApp({ config, transport, hmac: nodeHmac, clientIp: (c) => (c.env as ConnEnv).clientIp, ...more }).app;
}

const admin = (over: Partial<Config['admin']> = {}): Config['admin'] => ({ prefix: '/api', allowedHosts: [], ...over });

describe('a missing or wrong admin token gets 401 with WWW-Authenticate (RFC 6750)', () => {
  const app = make(testConfig([], { admin: admin({ token: 'the-right-token' }) }));
  const write = (authorization?: string) =>
    app.request('/api/servers', { method: 'POST', body: JSON.stringify({ url: 'http://127.0.0.1:9' }), headers: authorization ? { authorization } : {} }, local);

  it('none, or another scheme: 401 with the Bearer challenge', async () => {
    for (const given of [undefined, 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer   ']) {
      const res = await write(given);
      assert.equal(res.status, 401, String(given));
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="switchyard"');
      assert.match(((await res.json()) as { detail: string }).detail, /Authorization: Bearer <token>/);
    }
  });

  it('a wrong one: 401 with error="invalid_token"', async () => {
    for (const given of ['Bearer nope', 'Bearer the-right-token-and-more', 'bearer the-right-tokeN']) {
      const res = await write(given);
      assert.equal(res.status, 401, given);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="switchyard", error="invalid_token"/);
      assert.equal(((await res.json()) as { type: string }).type, 'urn:switchyard:problem:unauthorized');
    }
  });

  it('the right one, in any case of the scheme', async () => {
    assert.equal((await write('Bearer the-right-token')).status, 201);
    assert.equal((await app.request('/api/servers/127.0.0.1:9', { method: 'DELETE', headers: { authorization: 'bearer the-right-token' } }, local)).status, 200);
  });
});
