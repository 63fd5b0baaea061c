import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { problemLine, problemsOf } from './issues.ts';
import { hostPortUrl, serverAddress, serverHost, ServerSchema, ServerSpecError, serverSpec } from './server.ts';

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

describe('ServerSchema names the field at fault', () => {
  const lines = (input: unknown) => {
    const r = v.safeParse(ServerSchema, input);
    return r.success ? [] : problemsOf(r.issues).map(problemLine);
  };
  const table: Array<[unknown, string[]]> = [
    [{ host: '999.1.1.1', port: 80 }, ['host: must be a host name or IP address, got "999.1.1.1"']],
    [{ host: '[', port: 80 }, ['host: must be a host name or IP address, got "["']],
    [{ host: 'a:b', port: 80 }, ['host: must be a host name or IP address, got "a:b"']],
    [{ host: '[::1', port: 80 }, ['host: must be a host name or IP address, got "[::1"']],
    [{ host: 'a b', port: 80 }, ['host: must be a host name or IP address, got "a b"']],
    [{ host: '127.0.0.1', port: 0 }, ['port: must be an integer 1-65535, got 0']],
    [{ host: '127.0.0.1', port: 70000 }, ['port: must be an integer 1-65535, got 70000']],
    [{ host: '999.1.1.1', port: 0 }, ['host: must be a host name or IP address, got "999.1.1.1"', 'port: must be an integer 1-65535, got 0']],
    [{ url: 'http://127.0.0.1:0' }, ['url: the port must be 1-65535, got "http://127.0.0.1:0"']],
    [{ url: 'https://a:00/' }, ['url: the port must be 1-65535, got "https://a:00/"']],
    [{ url: 'http://999.1.1.1' }, ['url: not a valid URL, got "http://999.1.1.1"']],
    [{ url: 'http://[' }, ['url: not a valid URL, got "http://["']],
    [{ url: 'http://a:65536' }, ['url: not a valid URL, got "http://a:65536"']],
    [{ url: 'http://u:p@a' }, ['url: must not carry a user or password, got "http://u:p@a"']],
    [{ url: 'ftp://a' }, ['url: must be an http(s) URL, got "ftp://a"']],
  ];
  for (const [input, want] of table) it(`refuses ${JSON.stringify(input)}`, () => assert.deepEqual(lines(input), want));

  for (const host of ['localhost', '10.0.0.1', '::1', '[::1]', 'svc_a', 'app.internal']) {
    it(`takes the host ${host}`, () => assert.deepEqual(lines({ host, port: 8080 }), []));
  }
  it('serverHost alone is the same rule', () => {
    assert.equal(v.safeParse(serverHost, '999.1.1.1').success, false);
    assert.equal(v.safeParse(serverHost, '0.0.0.0').success, true);
  });
});
