import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateConfig } from './validate.ts';

const load = (raw: unknown) => validateConfig(raw, () => 'c.json');
const ok = (raw: unknown) => {
  const r = load(raw);
  assert.ok(r.ok, JSON.stringify(r));
  return r.config;
};
const errors = (raw: unknown) => {
  const r = load(raw);
  assert.equal(r.ok, false, 'should not load');
  return (r as { errors: string[] }).errors;
};

/** The example, as written. */
const EXAMPLE = {
  admin: { prefix: '/_lb' },
  services: {
    api: { servers: [{ url: 'http://127.0.0.1:9101' }], algorithm: 'least_connections', health_check: { path: '/healthz' } },
    web: { servers: [{ url: 'http://127.0.0.1:9201' }, { url: 'http://127.0.0.1:9202' }] },
    web_next: { servers: [{ url: 'http://127.0.0.1:9301' }], sticky: {} },
    maintenance: { servers: [{ url: 'http://127.0.0.1:9401' }] },
  },
  routes: [
    { match: { host: 'api.example.com' }, service: 'api' },
    { match: { path_prefix: '/api/' }, service: 'api', strip_prefix: true },
    { match: { headers: { 'x-canary': 'always' } }, service: 'web_next' },
    { match: { path_prefix: '/' }, split: [{ service: 'web', weight: 95 }, { service: 'web_next', weight: 5 }], fallback: 'maintenance' },
  ],
};

describe('services and routes in the config', () => {
  it("loads the issue's example (with the admin API moved off /api): four services, four routes, no default service", () => {
    const c = ok(EXAMPLE);
    assert.deepEqual(c.services.map((s) => [s.name, s.servers.length, s.algorithm]), [['api', 1, 'least_connections'], ['web', 2, 'round_robin'], ['web_next', 1, 'round_robin'], ['maintenance', 1, 'round_robin']]);
    assert.equal(c.defaultService, false);
    assert.deepEqual(c.routes.map((r) => r.name), ['0', '1', '2', '3']);
    assert.deepEqual(c.routes[3], { name: '3', match: { path_prefix: '/' }, split: [{ service: 'web', weight: 95 }, { service: 'web_next', weight: 5 }], fallback: 'maintenance', stripPrefix: false });
    assert.equal(c.routes[1].stripPrefix, true);
  });

  it('a service inherits what it leaves unset, field by field within a section', () => {
    const c = ok({
      load_balancer: { algorithm: 'least_connections' },
      health_check: { interval: 3, path: '/health', rise: 4 },
      timeout: 2,
      retries: 1,
      services: { api: { servers: [], health_check: { path: '/healthz' }, retries: 3 } },
    });
    const api = c.services[0];
    assert.equal(api.algorithm, 'least_connections');
    assert.deepEqual([api.healthCheck.path, api.healthCheck.intervalMs, api.healthCheck.rise], ['/healthz', 3000, 4]);
    assert.deepEqual([api.timeoutMs, api.retries], [2000, 3]);
    assert.deepEqual([c.healthCheck.path, c.retries], ['/health', 1], 'the top level keeps its own');
  });

  it("a service's seed-004 retries overrides an inherited fall", () => {
    const c = ok({ health_check: { fall: 5 }, services: { a: { health_check: { retries: 2 } } } });
    assert.equal(c.services[0].healthCheck.fall, 2);
  });

  it('sticky: inherited on, off per service, and each service its own cookie', () => {
    const c = ok({ sticky: { cookie: 'route' }, services: { a: {}, b: { sticky: { enabled: false } }, c: { sticky: { cookie: 'mine' } } } });
    assert.deepEqual(c.services.map((s) => s.sticky?.cookie ?? null), ['route_a', null, 'mine']);
    assert.equal(c.sticky?.cookie, 'route', 'the default service keeps the plain name');
  });

  it('the default service exists with top-level servers, or when no services are given', () => {
    assert.equal(ok({}).defaultService, true);
    assert.equal(ok({ servers: [] }).defaultService, true);
    assert.equal(ok({ services: { a: {} } }).defaultService, false);
    assert.equal(ok({ servers: [{ url: 'http://127.0.0.1:1' }], services: { a: {} } }).defaultService, true);
    assert.equal(ok({ services: { a: {} }, routes: [{ service: 'a' }] }).routes[0].name, '0');
  });

  const bad: Array<[string, unknown, RegExp[]]> = [
    ['a route naming a service that does not exist', { services: { api: {} }, routes: [{ service: 'apix' }] }, [/^c\.json: routes\[0\]\.service: no such service \(services: api\), got "apix"$/]],
    ['split and fallback references', { services: { a: {} }, routes: [{ split: [{ service: 'a', weight: 1 }, { service: 'b', weight: 1 }], fallback: 'c' }] }, [/^c\.json: routes\[0\]\.split\[1\]\.service: no such service/, /^c\.json: routes\[0\]\.fallback: no such service .*got "c"$/]],
    ['the default service named when there is none', { services: { a: {} }, routes: [{ service: 'default' }] }, [/routes\[0\]\.service: no such service \(services: a\), got "default"$/]],
    ['both service and split', { routes: [{ service: 'default', split: [{ service: 'default', weight: 1 }] }] }, [/^c\.json: routes\[0\]: must name a service or a split/]],
    ['neither', { routes: [{ match: { path: '/' } }] }, [/^c\.json: routes\[0\]: must name a service or a split/]],
    ['path and path_prefix together', { routes: [{ match: { path: '/a', path_prefix: '/' }, service: 'default' }] }, [/^c\.json: routes\[0\]\.match: give path or path_prefix, not both/]],
    ['strip_prefix without a prefix', { routes: [{ match: { path: '/a' }, service: 'default', strip_prefix: true }] }, [/^c\.json: routes\[0\]\.strip_prefix: needs match\.path_prefix/]],
    ['bad matcher values', { routes: [{ match: { host: 'a b', path_prefix: 'api', methods: [], headers: { 'x-a': '/[/' }, query: {} }, service: 'default' }] }, [/match\.host: must be a host name/, /match\.path_prefix: must be a path starting with \//, /match\.methods: must name at least one method/, /match\.headers\.x-a: must be a valid \/regular expression\//, /match\.query: must name at least one query parameter/]],
    ['an unknown matcher', { routes: [{ match: { cookie: 'x' }, service: 'default' }] }, [/^c\.json: routes\[0\]\.match\.cookie: unknown key$/]],
    ['a split weight of 0', { routes: [{ split: [{ service: 'default', weight: 0 }] }] }, [/routes\[0\]\.split\[0\]\.weight: must be a positive number, got 0/]],
    ['a bad service name', { services: { 'a b': {} } }, [/^c\.json: services\.a b: must be a service name .*got "a b"$/]],
    ['services.default', { services: { default: {} } }, [/^c\.json: services\.default: is the top-level servers and settings/]],
    ['a server twice in a service', { services: { a: { servers: [{ url: 'http://127.0.0.1:1' }, { host: '127.0.0.1', port: 1 }] } } }, [/^c\.json: services\.a\.servers\[1\]: duplicates services\.a\.servers\[0\] \(127\.0\.0\.1:1\)/]],
    ['a bad service setting', { services: { a: { timeout: 'soon', colour: 1 } } }, [/^c\.json: services\.a\.timeout: must be seconds/, /^c\.json: services\.a\.colour: unknown key$/]],
    ['a route the admin API would answer first', { routes: [{ match: { path_prefix: '/api/' }, service: 'default' }, { match: { path: '/api' }, service: 'default' }] }, [/^c\.json: routes\[0\]\.match\.path_prefix: is under the admin API \(admin\.prefix \/api\), .*"prefix": "\/_lb".*got "\/api\/"$/, /^c\.json: routes\[1\]\.match\.path: is under the admin API/]],
    ['two routes with one name', { routes: [{ name: 'x', service: 'default' }, { name: 'x', service: 'default' }] }, [/^c\.json: routes\[1\]\.name: names route \[0\] too, got "x"$/]],
  ];
  for (const [name, raw, patterns] of bad) {
    it(`refuses ${name}, naming path and value`, () => {
      const lines = errors(raw);
      for (const p of patterns) assert.ok(lines.some((l) => p.test(l)), `${p} not in ${JSON.stringify(lines)}`);
    });
  }
});
