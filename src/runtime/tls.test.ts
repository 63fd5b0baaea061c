/** The pure parts of TLS termination: certificate names, the SNI pick, HSTS, the https redirect, the listener's scheme. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { certificateNames, hstsValue, httpsRedirect, nameMatches, pickCertificate, withHsts, withScheme } from './tls.ts';

describe('certificateNames', () => {
  for (const [san, subject, want] of [
    ['DNS:localhost, IP Address:127.0.0.1', 'CN=localhost', ['localhost', '127.0.0.1']],
    ['DNS:*.Example.com, DNS:example.com', 'CN=example.com', ['*.example.com', 'example.com']],
    [undefined, 'C=DE\nO=Test\nCN=Legacy.test', ['legacy.test']],
    [undefined, 'O=No name', []],
    ['email:a@b.c', 'CN=only-cn.test', ['only-cn.test']],
  ] as const) {
    it(`${san ?? 'no SAN'} / ${subject.replace(/\n/g, ',')}`, () => assert.deepEqual(certificateNames(san, subject), want));
  }
});

describe('nameMatches and pickCertificate', () => {
  for (const [name, server, want] of [
    ['a.test', 'a.test', true],
    ['*.a.test', 'x.a.test', true],
    ['*.a.test', 'a.test', false],
    ['*.a.test', 'y.x.a.test', false],
    ['*.a.test', '.a.test', false],
  ] as const) {
    it(`${name} ${want ? 'covers' : 'does not cover'} ${server}`, () => assert.equal(nameMatches(name, server), want));
  }
  const certs = [{ names: ['localhost', '127.0.0.1'] }, { names: ['*.shop.test'] }, { names: ['api.shop.test', 'other.test'] }];
  for (const [server, want] of [
    ['localhost', 0],
    ['OTHER.test.', 2],
    ['api.shop.test', 2],
    ['www.shop.test', 1],
    ['unknown.test', 0],
    ['', 0],
    [undefined, 0],
  ] as const) {
    it(`server name ${JSON.stringify(server)} gets certificate ${want}`, () => assert.equal(pickCertificate(certs, server), want));
  }
});

describe('HSTS', () => {
  it('says max-age and includeSubDomains', () => {
    assert.equal(hstsValue({ maxAgeSeconds: 31536000, includeSubdomains: false }), 'max-age=31536000');
    assert.equal(hstsValue({ maxAgeSeconds: 0, includeSubdomains: true }), 'max-age=0; includeSubDomains');
  });
  it('is added to responses, immutable ones too, and a response that has one keeps its own', async () => {
    const req = new Request('https://x/');
    const plain = await withHsts(() => new Response('a'), 'max-age=1')(req, undefined);
    assert.equal(plain.headers.get('strict-transport-security'), 'max-age=1');
    const immutable = Response.redirect('https://x/y', 302);
    const r = await withHsts(async () => immutable, 'max-age=1')(req, undefined);
    assert.equal(r.status, 302);
    assert.equal(r.headers.get('location'), 'https://x/y');
    assert.equal(r.headers.get('strict-transport-security'), 'max-age=1');
    const own = await withHsts(() => new Response('a', { headers: { 'strict-transport-security': 'max-age=5; preload' } }), 'max-age=1')(req, undefined);
    assert.equal(own.headers.get('strict-transport-security'), 'max-age=5; preload');
  });
});

describe('httpsRedirect', () => {
  for (const [url, port, want] of [
    ['http://example.com:8080/a/b?x=1&y=%20', 8443, 'https://example.com:8443/a/b?x=1&y=%20'],
    ['http://example.com/', 443, 'https://example.com/'],
    ['http://[::1]:80/p', 443, 'https://[::1]/p'],
  ] as const) {
    it(`${url} → ${want}`, async () => {
      const r = await httpsRedirect(port, '127.0.0.1')(new Request(url, { method: 'POST', body: 'ignored' }), undefined);
      assert.equal(r.status, 301);
      assert.equal(r.headers.get('location'), want);
    });
  }
});

describe('withScheme', () => {
  it('keeps a request of the right scheme, and rewrites one whose target said otherwise (method, headers, body kept)', async () => {
    const same = new Request('https://x/a');
    assert.equal(withScheme(same, 'https'), same);
    const other = withScheme(new Request('http://x/a?b=1', { method: 'PUT', headers: { 'x-a': '1' }, body: 'hi' }), 'https');
    assert.equal(other.url, 'https://x/a?b=1');
    assert.equal(other.method, 'PUT');
    assert.equal(other.headers.get('x-a'), '1');
    assert.equal(await other.text(), 'hi');
  });
});
