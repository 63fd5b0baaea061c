import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBackend, type TestBackend } from '../../test/fixtures/backends.ts';
import { testConfig } from '../../test/fixtures/config.ts';
import type { TestEnv as ConnEnv } from '../../test/fixtures/app.ts';
import { createApp, type Platform } from '../app.ts';
import type { Config } from '../config/types.ts';
import { nodeHmac } from '../runtime/hashes.ts';
import { undiciTransport } from '../transport/undici.ts';
import { hostName, isAdminHost } from './auth.ts';

import { docsDoc, openApiDoc } from '../../test/fixtures/openapi.ts';

const transport = undiciTransport();
const local: ConnEnv = { clientIp: '127.0.0.1' };

function make(config: Config, more: Partial<Platform> = {}) {
  return createApp({ config, transport, hmac: nodeHmac, openApi: openApiDoc, docs: docsDoc, clientIp: (c) => (c.env as ConnEnv).clientIp, ...more }).app;
}

const admin = (over: Partial<Config['admin']> = {}): Config['admin'] => ({ prefix: '/api', allowedHosts: [], ...over });

describe('isAdminHost', () => {
  const table: Array<[host: string, listen: string, allowed: string[], ok: boolean]> = [
    ['localhost', '127.0.0.1', [], true],
    ['localhost:8080', '127.0.0.1', [], true],
    ['LocalHost.:8080', '127.0.0.1', [], true],
    ['127.0.0.1:8080', '127.0.0.1', [], true],
    ['[::1]:8080', '127.0.0.1', [], true],
    ['[::1]', '::1', [], true],
    ['evil.example', '127.0.0.1', [], false],
    ['evil.example:8080', '127.0.0.1', [], false],
    ['localhost.evil.example', '127.0.0.1', [], false],
    ['127.0.0.1.nip.io', '127.0.0.1', [], false],
    ['10.0.0.5:8080', '127.0.0.1', [], false],
    // the listen address
    ['10.0.0.5:8080', '10.0.0.5', [], true],
    ['10.0.0.6:8080', '10.0.0.5', [], false],
    ['[fd00::5]:8080', 'fd00::5', [], true],
    ['lb.internal', 'lb.internal', [], true],
    // every address: any IP literal (no DNS name involved), but no name
    ['10.0.0.5:8080', '0.0.0.0', [], true],
    ['[fd00::5]:8080', '::', [], true],
    ['evil.example', '0.0.0.0', [], false],
    // admin.allowed_hosts
    ['lb.internal:8080', '127.0.0.1', ['lb.internal'], true],
    ['LB.Internal', '127.0.0.1', ['lb.internal'], true],
    ['lb.internal.evil.example', '127.0.0.1', ['lb.internal'], false],
    ['[fd00::7]', '127.0.0.1', ['[fd00::7]'], true],
  ];
  for (const [host, listen, allowed, ok] of table) {
    it(`${host} (listening on ${listen}${allowed.length ? `, allowed ${allowed}` : ''}) → ${ok}`, () => assert.equal(isAdminHost(host, listen, allowed), ok));
  }

  it('reads a Host name without its port or final dot, in lower case', () => {
    assert.deepEqual(['A.Example:80', '[::1]:1', 'x.', '[::1'].map(hostName), ['a.example', '[::1]', 'x', '[::1']);
  });
});

describe('the admin API with no token answers only its own host names', () => {
  let a: TestBackend;
  before(async () => {
    a = await startBackend('A');
  });
  after(async () => {
    await a.close();
  });

  const reads = ['/api/stats', '/api/metrics', '/api/openapi.json', '/api/dashboard', '/api/docs', '/api/health', '/api/servers', '/api/v1/services', '/api/v1/stats', '/api'];
  const rebinding = (path: string, init: RequestInit = {}) =>
    new Request(`http://evil.example:8080${path}`, { ...init, headers: { host: 'evil.example:8080', origin: 'http://evil.example:8080', ...init.headers } });

  it('refuses a page on another name (matching Host and Origin): every read and write, with 403 naming the host and the setting', async () => {
    const app = make(testConfig([a.url]));
    for (const path of reads) {
      const res = await app.request(rebinding(path), undefined, local);
      assert.equal(res.status, 403, path);
      assert.equal(res.headers.get('content-type'), 'application/problem+json');
      const p = (await res.json()) as { type: string; host: string; detail: string };
      assert.equal(p.type, 'urn:switchyard:problem:host-not-allowed');
      assert.equal(p.host, 'evil.example');
      assert.match(p.detail, /"evil\.example".*admin\.allowed_hosts.*admin\.token/);
    }
    const write = await app.request(rebinding('/api/servers', { method: 'POST', body: JSON.stringify({ url: 'http://127.0.0.1:9' }), headers: { 'content-type': 'text/plain' } }), undefined, local);
    assert.equal(write.status, 403);
    const v1 = await app.request(rebinding('/api/v1/services/1/register', { method: 'POST', body: '[]' }), undefined, local);
    assert.equal(v1.status, 403, "seed 003's routes too");
    assert.equal(a.hits.total, 0, 'nothing reached a server');
    const servers = (await (await app.request('/api/servers', {}, local)).json()) as { servers: unknown[] };
    assert.equal(servers.servers.length, 1, 'the write changed nothing');
  });

  it('answers localhost, 127.0.0.1 and [::1] with any port, and the names in admin.allowed_hosts', async () => {
    const app = make(testConfig([a.url], { admin: admin({ allowedHosts: ['lb.internal'] }) }));
    for (const host of ['localhost:8080', '127.0.0.1:8080', '[::1]:8080', 'lb.internal:8080', 'lb.internal']) {
      const res = await app.request(`http://${host}/api/openapi.json`, { headers: { host } }, local);
      assert.equal(res.status, 200, host);
      await res.arrayBuffer();
    }
    const write = await app.request('http://lb.internal:8080/api/servers', { method: 'POST', body: JSON.stringify({ url: 'http://127.0.0.1:9' }), headers: { host: 'lb.internal:8080', origin: 'http://lb.internal:8080' } }, local);
    assert.equal(write.status, 201, 'the dashboard on an allowed name writes');
    assert.equal((await app.request(rebinding('/api/openapi.json'), undefined, local)).status, 403);
  });

  it('leaves the proxied traffic and the /health of the balancer alone, seed 003 gateway included', async () => {
    const app = make(testConfig([a.url]));
    const proxied = await app.request(rebinding('/echo'), undefined, local);
    assert.equal(proxied.status, 200);
    assert.equal(((await proxied.json()) as { handled_by: string }).handled_by, 'A');
    const health = await app.request(rebinding('/health'), undefined, local);
    assert.notEqual(health.status, 403);
    await health.arrayBuffer();
    const gateway = await app.request(rebinding('/api/v1/proxy/nope/x'), undefined, local);
    assert.equal(((await gateway.json()) as { type: string }).type, 'urn:switchyard:problem:no-service', 'the gateway is traffic');
  });

  it('with a token set, the token guards writes and any host name may read', async () => {
    const app = make(testConfig([a.url], { admin: admin({ token: 'long-enough' }) }));
    const read = await app.request(rebinding('/api/openapi.json'), undefined, local);
    assert.equal(read.status, 200);
    await read.arrayBuffer();
    const write = await app.request(rebinding('/api/servers', { method: 'POST', body: '{}' }), undefined, local);
    assert.equal(write.status, 401, 'no token: unauthorised, not a host refusal');
  });

  it('at the edge (a token required), the host names are not checked: the platform delivers only its own', async () => {
    const app = make(testConfig([a.url]), { tokenRequired: true });
    const read = await app.request(new Request('https://lb.example.workers.dev/api/openapi.json'), undefined, local);
    assert.equal(read.status, 200);
    await read.arrayBuffer();
    const write = await app.request(new Request('https://lb.example.workers.dev/api/servers', { method: 'POST', body: '{}' }), undefined, local);
    assert.equal(write.status, 403);
    assert.match(((await write.json()) as { detail: string }).detail, /wrangler secret put LB_ADMIN_TOKEN/);
  });
});

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
