import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { ServiceBody } from '../api/schemas.ts';
import { backendTls, caFiles, resolveCaPaths, skipVerifyWarnings, tlsLimitProblems, WORKERS_TLS_LIMITS } from './backend-tls.ts';
import { validateConfig } from './validate.ts';

const load = (raw: unknown) => validateConfig(raw, () => 'config.json');
const okConfig = (raw: unknown) => {
  const r = load(raw);
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.config;
};
const servers = [{ url: 'https://10.0.0.1:8443' }];

describe('tls: the pool setting as validated', () => {
  const bad: Array<[string, unknown, string]> = [
    ['not an object', 'yes', 'config.json: tls: must be an object, got "yes"'],
    ['an unknown field', { verify: false }, 'config.json: tls.verify'],
    ['an empty ca_file', { ca_file: '' }, 'config.json: tls.ca_file: must be a file path'],
    ['server_name an IP address', { server_name: '10.0.0.1' }, 'config.json: tls.server_name: must be a host name such as api.internal'],
    ['server_name with a port', { server_name: 'api.internal:8443' }, 'config.json: tls.server_name: must be a host name'],
    ['insecure_skip_verify a string', { insecure_skip_verify: 'true' }, 'config.json: tls.insecure_skip_verify: must be true or false'],
  ];
  for (const [name, tls, line] of bad) {
    it(`refuses ${name}`, () => {
      const r = load({ servers, tls });
      assert.ok(!r.ok);
      assert.ok(r.errors.some((e) => e.startsWith(line)), r.errors.join('\n'));
    });
  }

  const normalised: Array<[string, Parameters<typeof backendTls>[0], ReturnType<typeof backendTls>]> = [
    ['absent: the defaults (null)', undefined, null],
    ['nothing that changes anything: null', { insecure_skip_verify: false }, null],
    ['a CA file', { ca_file: '/etc/lb/ca.pem' }, { caFile: '/etc/lb/ca.pem', insecureSkipVerify: false }],
    ['a server name, lower case, no trailing dot', { server_name: 'API.Internal.' }, { serverName: 'api.internal', insecureSkipVerify: false }],
    ['skip verify', { insecure_skip_verify: true }, { insecureSkipVerify: true }],
  ];
  for (const [name, input, want] of normalised) it(`normalises ${name}`, () => assert.deepEqual(backendTls(input), want));

  it('a service inherits the top level field by field', () => {
    const c = okConfig({ servers, tls: { ca_file: '/ca.pem', server_name: 'api.internal' }, services: { a: { servers, tls: { server_name: 'other.internal' } }, b: { servers } } });
    assert.deepEqual(c.backendTls, { caFile: '/ca.pem', serverName: 'api.internal', insecureSkipVerify: false });
    assert.deepEqual(c.services.find((s) => s.name === 'a')?.backendTls, { caFile: '/ca.pem', serverName: 'other.internal', insecureSkipVerify: false });
    assert.deepEqual(c.services.find((s) => s.name === 'b')?.backendTls, c.backendTls);
  });
});

describe('tls: files, warnings and what a runtime cannot do', () => {
  it('ca_file paths are taken beside the config file (top level and services)', () => {
    const raw = { tls: { ca_file: 'ca.pem' }, services: { a: { tls: { ca_file: '/abs/ca.pem' } }, b: { tls: { ca_file: 'certs/b.pem' } }, c: { tls: { ca_file: 7 } } } };
    resolveCaPaths(raw, '/etc/lb/config.json');
    assert.deepEqual(raw, { tls: { ca_file: '/etc/lb/ca.pem' }, services: { a: { tls: { ca_file: '/abs/ca.pem' } }, b: { tls: { ca_file: '/etc/lb/certs/b.pem' } }, c: { tls: { ca_file: 7 } } } });
  });

  it('each CA file once, named by the field that set it first', () => {
    const c = okConfig({ servers, tls: { ca_file: '/ca.pem' }, services: { a: { servers, tls: { ca_file: '/a.pem' } }, b: { servers } } });
    assert.deepEqual(caFiles(c), [
      { path: '/ca.pem', field: 'tls.ca_file' },
      { path: '/a.pem', field: 'services.a.tls.ca_file' },
    ]);
  });

  it('a warning per service that verifies nothing, naming it', () => {
    const c = okConfig({ servers, services: { a: { servers, tls: { insecure_skip_verify: true } }, b: { servers } } });
    assert.deepEqual(skipVerifyWarnings(c), ['services.a.tls.insecure_skip_verify: service "a" does not verify its https:// servers\' certificates (any certificate, any name is accepted)']);
    const top = okConfig({ services: { a: { servers }, b: { servers } }, tls: { insecure_skip_verify: true } });
    assert.equal(skipVerifyWarnings(top).length, 2, 'inherited: each service named');
  });

  it('on Workers, every field set is a config problem naming it', () => {
    const c = okConfig({ servers, tls: { ca_file: '/ca.pem' }, services: { a: { servers, tls: { server_name: 'api.internal', insecure_skip_verify: true } } } });
    assert.deepEqual(
      tlsLimitProblems(c, WORKERS_TLS_LIMITS).map((l) => l.split(':')[0]),
      ['tls.ca_file', 'services.a.tls.server_name', 'services.a.tls.insecure_skip_verify'],
    );
    assert.deepEqual(tlsLimitProblems(okConfig({ servers }), WORKERS_TLS_LIMITS), [], 'no tls: nothing to say');
  });

  it('the API refuses tls.ca_file on a service, naming the field; other tls fields pass', () => {
    const r = v.safeParse(ServiceBody, { servers, tls: { ca_file: '/etc/passwd' } });
    assert.ok(!r.success);
    assert.deepEqual(v.getDotPath(r.issues[0]), 'tls.ca_file');
    assert.ok(v.safeParse(ServiceBody, { servers, tls: { server_name: 'api.internal' } }).success);
  });
});
