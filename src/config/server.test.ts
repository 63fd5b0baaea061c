import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { hostPortUrl, serverAddress, ServerSchema, ServerSpecError, serverSpec } from './server.ts';

describe('serverAddress: the one rule from a URL to a backend address', () => {
  const table: Array<[string, { id: string; url: string; host: string; port: number }]> = [
    ['http://127.0.0.1:8001', { id: '127.0.0.1:8001', url: 'http://127.0.0.1:8001', host: '127.0.0.1', port: 8001 }],
    ['http://app.internal/', { id: 'app.internal:80', url: 'http://app.internal', host: 'app.internal', port: 80 }],
    ['https://app.internal', { id: 'app.internal:443', url: 'https://app.internal', host: 'app.internal', port: 443 }],
    ['HTTP://App.Internal:80/base//', { id: 'app.internal:80', url: 'http://app.internal/base', host: 'app.internal', port: 80 }],
    ['http://[::1]:9000/v1', { id: '[::1]:9000', url: 'http://[::1]:9000/v1', host: '::1', port: 9000 }],
    ['http://svc_a:81', { id: 'svc_a:81', url: 'http://svc_a:81', host: 'svc_a', port: 81 }],
  ];
  for (const [url, want] of table) it(url, () => assert.deepEqual(serverAddress(url), want));

  const bad: Array<[string, RegExp]> = [
    ['nope', /not a valid URL/],
    ['ftp://a', /must be http or https/],
    ['http://a:0', /port must be 1-65535/],
    ['http://999.1.1.1', /not a valid URL/],
    ['http://u:p@a', /user or password/],
  ];
  for (const [url, message] of bad) it(`refuses ${url}`, () => assert.throws(() => serverAddress(url), (e: unknown) => e instanceof ServerSpecError && message.test(e.message)));
});

describe('ServerSchema and serverSpec: config and API servers alike', () => {
  it('seed 004 {host, port} and {url} give the same canonical spec', () => {
    const a = serverSpec(v.parse(ServerSchema, { host: '127.0.0.1', port: 8001, weight: 2 }));
    const b = serverSpec(v.parse(ServerSchema, { url: 'http://127.0.0.1:8001/', weight: 2 }));
    assert.deepEqual(a, { url: 'http://127.0.0.1:8001', weight: 2, backup: false });
    assert.deepEqual(b, a);
  });
  it('an IPv6 host is bracketed', () => assert.equal(hostPortUrl('::1', 80), 'http://[::1]:80'));
  it('defaults weight 1, backup false', () => assert.deepEqual(serverSpec(v.parse(ServerSchema, { url: 'http://a:1', name: 'A' })), { url: 'http://a:1', weight: 1, backup: false, name: 'A' }));
});
