/** `load_balancer.ssl`, `--cert`/`--key` and `LB_TLS_CERT`/`LB_TLS_KEY`: what turns TLS on, paths, and refusals. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Flags } from './flags.ts';
import { resolveConfig } from './load.ts';
import { besideConfig } from './tls-schema.ts';

/** Resolves with `file` as conf/config.json (when given), `env` and `flags`. */
async function resolve(file: unknown, env: Record<string, string> = {}, flags: Partial<Flags> = {}) {
  const files: Record<string, string> = file === undefined ? {} : { 'conf/config.json': JSON.stringify(file) };
  const readFile = async (p: string) => {
    if (p in files) return files[p];
    throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
  };
  return resolveConfig({ flags: { backend: ['http://127.0.0.1:9'], ...(file === undefined ? {} : { config: 'conf/config.json' }), ...flags }, env, readFile });
}

const ok = async (...args: Parameters<typeof resolve>) => {
  const r = await resolve(...args);
  assert.ok(r.ok && 'config' in r, JSON.stringify(r));
  return r.config;
};
const errors = async (...args: Parameters<typeof resolve>) => {
  const r = await resolve(...args);
  assert.ok(!r.ok, JSON.stringify(r));
  return r.errors;
};

describe('load_balancer.ssl', () => {
  it("takes seed 004's block verbatim, paths beside the config file", async () => {
    const c = await ok({ load_balancer: { ssl: { enabled: true, cert_file: 'cert.pem', key_file: 'key.pem' } } });
    assert.deepEqual(c.tls, {
      certificates: [
        { cert: { path: 'conf/cert.pem', field: 'conf/config.json: load_balancer.ssl.cert_file' }, key: { path: 'conf/key.pem', field: 'conf/config.json: load_balancer.ssl.key_file' } },
      ],
      redirectHttpPort: null,
      hsts: null,
      http2: true,
    });
  });

  it('offers HTTP/2 unless http2 is false', async () => {
    const pair = { cert_file: 'a.pem', key_file: 'a.key' };
    assert.equal((await ok({ load_balancer: { ssl: { ...pair, http2: false } } })).tls?.http2, false);
    assert.equal((await ok({ load_balancer: { ssl: { ...pair, http2: true } } })).tls?.http2, true);
    assert.deepEqual(await errors({ load_balancer: { ssl: { ...pair, http2: 'h2' } } }), ['conf/config.json: load_balancer.ssl.http2: must be true or false, got "h2"']);
  });

  it('is off without the block, with enabled false, or with no certificate named', async () => {
    assert.equal((await ok({})).tls, undefined);
    assert.equal((await ok({ load_balancer: { ssl: { enabled: false, cert_file: 'a', key_file: 'b' } } })).tls, undefined);
    assert.equal((await ok({ load_balancer: { ssl: { hsts: {} } } })).tls, undefined);
  });

  it('lists cert_file first, then certificates; takes the redirect port and HSTS (a year by default)', async () => {
    const c = await ok({
      load_balancer: { ssl: { cert_file: '/etc/a.pem', key_file: '/etc/a.key', certificates: [{ cert_file: 'b.pem', key_file: 'b.key' }], redirect_http_port: 8080, hsts: {} } },
    });
    assert.deepEqual(
      c.tls?.certificates.map((p) => [p.cert.path, p.key.path, p.key.field]),
      [
        ['/etc/a.pem', '/etc/a.key', 'conf/config.json: load_balancer.ssl.key_file'],
        ['conf/b.pem', 'conf/b.key', 'conf/config.json: load_balancer.ssl.certificates[0].key_file'],
      ],
    );
    assert.equal(c.tls?.redirectHttpPort, 8080);
    assert.deepEqual(c.tls?.hsts, { maxAgeSeconds: 31_536_000, includeSubdomains: false });
    const h = await ok({ load_balancer: { ssl: { certificates: [{ cert_file: 'b.pem', key_file: 'b.key' }], hsts: { max_age: 0, include_subdomains: true } } } });
    assert.deepEqual(h.tls?.hsts, { maxAgeSeconds: 0, includeSubdomains: true });
  });

  it('flags and env name files as given (from the working directory) and turn TLS on', async () => {
    const f = await ok(undefined, {}, { cert: 'site.pem', key: 'site.key' });
    assert.deepEqual(f.tls?.certificates[0], { cert: { path: 'site.pem', field: 'flag --cert: load_balancer.ssl.cert_file' }, key: { path: 'site.key', field: 'flag --key: load_balancer.ssl.key_file' } });
    const e = await ok({ load_balancer: { ssl: { cert_file: 'file.pem', key_file: 'file.key' } } }, { LB_TLS_CERT: '123.pem', LB_TLS_KEY: '/k/123.key' });
    assert.deepEqual(
      e.tls?.certificates.map((p) => [p.cert.path, p.cert.field, p.key.path]),
      [['123.pem', 'env LB_TLS_CERT: load_balancer.ssl.cert_file', '/k/123.key']],
    );
  });

  it('refuses half a pair, enabled without certificates, and bad values, naming the field', async () => {
    assert.deepEqual(await errors({ load_balancer: { ssl: { cert_file: 'a.pem' } } }), ['conf/config.json: load_balancer.ssl.cert_file: needs key_file too, got "conf/a.pem"']);
    assert.deepEqual(await errors(undefined, {}, { key: 'k.pem' }), ['flag --key: load_balancer.ssl.key_file: needs cert_file too, got "k.pem"']);
    assert.deepEqual(await errors({ load_balancer: { ssl: { enabled: true } } }), ['conf/config.json: load_balancer.ssl.enabled: needs cert_file and key_file (or certificates), got true']);
    assert.deepEqual(await errors({ load_balancer: { ssl: { enabled: 'yes', redirect_http_port: 70000, certificates: [], hsts: { max_age: -1 } } } }), [
      'conf/config.json: load_balancer.ssl.enabled: must be true or false, got "yes"',
      'conf/config.json: load_balancer.ssl.certificates: must list at least one certificate, got []',
      'conf/config.json: load_balancer.ssl.redirect_http_port: must be an integer 1-65535, got 70000',
      'conf/config.json: load_balancer.ssl.hsts.max_age: must be seconds, an integer 0-1000000000, got -1',
    ]);
    assert.deepEqual(await errors({ load_balancer: { ssl: { certificates: [{ cert_file: 'a.pem' }], sni: true } } }), [
      'conf/config.json: load_balancer.ssl.certificates[0].key_file: is required',
      'conf/config.json: load_balancer.ssl.sni: unknown key',
    ]);
  });
});

describe('besideConfig', () => {
  for (const [config, path, want] of [
    ['conf/config.json', 'cert.pem', 'conf/cert.pem'],
    ['config.json', 'cert.pem', 'cert.pem'],
    ['/etc/lb/config.json', '../tls/cert.pem', '/etc/lb/../tls/cert.pem'],
    ['/etc/lb/config.json', '/srv/cert.pem', '/srv/cert.pem'],
    ['C:\\lb\\config.json', 'cert.pem', 'C:\\lb\\cert.pem'],
    ['C:\\lb\\config.json', 'D:\\cert.pem', 'D:\\cert.pem'],
  ] as const) {
    it(`${path} beside ${config} is ${want}`, () => assert.equal(besideConfig(config, path), want));
  }
});
