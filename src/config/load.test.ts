import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveArgv } from '../runtime/config.ts';
import type { Resolved } from './load.ts';

/** Resolves with in-memory files. */
function resolve(argv: string[], env: Record<string, string> = {}, files: Record<string, unknown> = {}): Promise<Resolved> {
  return resolveArgv(argv, env, async (path) => {
    if (!(path in files)) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    const f = files[path];
    return typeof f === 'string' ? f : JSON.stringify(f);
  });
}

async function ok(argv: string[], env: Record<string, string> = {}, files: Record<string, unknown> = {}) {
  const r = await resolve(argv, env, files);
  assert.ok(r.ok && 'config' in r, JSON.stringify(r));
  return r;
}

async function errors(argv: string[], env: Record<string, string> = {}, files: Record<string, unknown> = {}) {
  const r = await resolve(argv, env, files);
  assert.equal(r.ok, false, JSON.stringify(r));
  return (r as { errors: string[] }).errors;
}

const SEED_004 = `{
    "load_balancer": {
        "port": 8080,
        "host": "localhost",
        "algorithm": "consistent_hash"
    },
    "servers": [
        {"host": "localhost", "port": 8001, "weight": 1},
        {"host": "localhost", "port": 8002, "weight": 1},
        {"host": "localhost", "port": 8003, "weight": 2}
    ],
    "health_check": {
        "enabled": true,
        "interval": 30,
        "timeout": 5,
        "retries": 3
    },
    "consistent_hash": {
        "virtual_nodes": 150,
        "hash_function": "fnv1a"
    }
}`;

describe('resolveConfig', () => {
  it("loads seed 004's config.json exactly as written", async () => {
    const { config, demo } = await ok(['--config', 'config.json'], {}, { 'config.json': SEED_004 });
    assert.equal(demo, false);
    assert.equal(config.algorithm, 'consistent_hash');
    assert.equal(config.host, 'localhost');
    assert.equal(config.port, 8080);
    assert.deepEqual(config.servers.map((s) => [s.url, s.weight]), [
      ['http://localhost:8001', 1],
      ['http://localhost:8002', 1],
      ['http://localhost:8003', 2],
    ]);
    const { enabled, path, intervalMs, timeoutMs, rise, fall, expectedStatus } = config.healthCheck;
    assert.deepEqual({ enabled, path, intervalMs, timeoutMs, rise, fall, expectedStatus }, { enabled: true, path: '/health', intervalMs: 30_000, timeoutMs: 5_000, rise: 2, fall: 3, expectedStatus: [[200, 399]] });
    assert.deepEqual(config.consistentHash, { virtualNodes: 150, hashFunction: 'fnv1a', key: 'path' });
  });

  it('defaults with nothing given, and asks for demo backends', async () => {
    const { config, demo } = await ok([]);
    assert.equal(demo, true);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.algorithm, 'round_robin');
    assert.equal(config.retries, 2);
    assert.equal(config.timeoutMs, 10_000);
    assert.equal(config.replayBufferBytes, 65536);
    assert.equal(config.servedByHeader, 'X-Served-By');
    assert.equal(config.admin.prefix, '/api');
  });

  it('the native format: url servers, names, backup, health and hash extras', async () => {
    const file = {
      servers: [{ url: 'http://10.0.0.1:9000/', name: 'a', backup: true }, { host: '10.0.0.2', port: 9000 }],
      health_check: { path: '/ready', expected_status: ['200-204', 301], rise: 1, fall: 5, interval: '500ms' },
      consistent_hash: { key: 'cookie:sid', balance_factor: 1.25, hash_function: 'md5' },
      timeout: 0.25,
      retries: 0,
      replay_buffer: '1MiB',
      served_by_header: false,
      admin: { prefix: '/_lb/', token: 'long-enough-token', allowed_hosts: ['lb.internal'] },
      load_balancer: { header_timeout: 10, idle_timeout: '5s', max_connections: 100, max_body: '10MiB' },
      log_level: 'warn',
    };
    const { config } = await ok(['--config', 'c.json'], {}, { 'c.json': file });
    assert.deepEqual(config.servers[0], { url: 'http://10.0.0.1:9000', name: 'a', weight: 1, backup: true });
    assert.equal(config.servers[1].url, 'http://10.0.0.2:9000');
    assert.deepEqual(config.healthCheck.expectedStatus, [[200, 204], [301, 301]]);
    assert.equal(config.healthCheck.intervalMs, 500);
    assert.equal(config.consistentHash.balanceFactor, 1.25);
    assert.equal(config.timeoutMs, 250);
    assert.equal(config.retries, 0);
    assert.equal(config.replayBufferBytes, 1048576);
    assert.equal(config.servedByHeader, '');
    assert.deepEqual(config.admin, { prefix: '/_lb', token: 'long-enough-token', allowedHosts: ['lb.internal'] });
    assert.deepEqual(config.listen, { headerTimeoutMs: 10_000, idleTimeoutMs: 5_000, maxConnections: 100, maxBodyBytes: 10 * 1024 * 1024 });
  });

  it('listener limits default like nginx: 60 s for headers, 75 s idle, no body limit', async () => {
    assert.deepEqual((await ok([])).config.listen, { headerTimeoutMs: 60_000, idleTimeoutMs: 75_000, maxConnections: 10_000, maxBodyBytes: 0 });
  });

  it('sticky sessions: off by default; an object turns them on with defaults', async () => {
    assert.equal((await ok([])).config.sticky, null);
    const on = await ok(['--config', 'c.json'], {}, { 'c.json': { sticky: {} } });
    assert.deepEqual(on.config.sticky, { cookie: 'SWITCHYARD_SERVER', ttlMs: 3_600_000, secure: false, sameSite: 'Lax' });
    const set = await ok(['--config', 'c.json'], {}, { 'c.json': { sticky: { cookie: 'route', ttl: '30m', secure: true, same_site: 'Strict' } } });
    assert.deepEqual(set.config.sticky, { cookie: 'route', ttlMs: 1_800_000, secure: true, sameSite: 'Strict' });
    assert.equal((await ok(['--config', 'c.json'], {}, { 'c.json': { sticky: { enabled: false } } })).config.sticky, null);
  });

  it('aliases resolve to one policy', async () => {
    for (const [alias, name] of [['weighted_round_robin', 'round_robin'], ['p2c', 'power_of_two'], ['least_conn', 'least_connections']]) {
      assert.equal((await ok(['--algorithm', alias])).config.algorithm, name);
    }
  });

  describe('precedence: flags > env > file > defaults', () => {
    const file = { load_balancer: { port: 1111, host: '10.1.1.1', algorithm: 'random' }, retries: 1, timeout: 3 };
    const table: Array<[string, string[], Record<string, string>, Partial<Record<'port' | 'host' | 'algorithm' | 'retries' | 'timeoutMs', unknown>>]> = [
      ['file over defaults', [], {}, { port: 1111, host: '10.1.1.1', algorithm: 'random', retries: 1, timeoutMs: 3000 }],
      ['env over file', [], { LB_PORT: '2222', LB_HOST: '0.0.0.0', LB_ALGORITHM: 'first', MAX_RETRIES: '4', TIMEOUT: '500ms' }, { port: 2222, host: '0.0.0.0', algorithm: 'first', retries: 4, timeoutMs: 500 }],
      ['flags over env', ['--port', '3333', '--host=::1', '--algorithm', 'maglev'], { LB_PORT: '2222', LB_ALGORITHM: 'first' }, { port: 3333, host: '::1', algorithm: 'maglev' }],
    ];
    for (const [name, argv, env, want] of table) {
      it(name, async () => {
        const { config } = await ok(['--config', 'f.json', ...argv], env, { 'f.json': file });
        for (const [k, v] of Object.entries(want)) assert.equal(config[k as keyof typeof config], v, k);
      });
    }
    it('LB_CONFIG names the file when no --config', async () => {
      assert.equal((await ok([], { LB_CONFIG: 'f.json' }, { 'f.json': file })).config.port, 1111);
    });
    it('--servers and --backend replace the file list', async () => {
      const files = { 'f.json': { servers: [{ host: 'a', port: 1 }] }, 's.json': [{ host: '127.0.0.1', port: 8001 }, { host: '127.0.0.1', port: 8002, weight: 3 }] };
      const s = await ok(['--config', 'f.json', '--servers', 's.json'], {}, files);
      assert.deepEqual(s.config.servers.map((x) => [x.url, x.weight]), [['http://127.0.0.1:8001', 1], ['http://127.0.0.1:8002', 3]]);
      const b = await ok(['--config', 'f.json', '--backend', 'http://127.0.0.1:9001=2', '--backend', 'http://127.0.0.1:9002'], {}, files);
      assert.deepEqual(b.config.servers.map((x) => [x.url, x.weight]), [['http://127.0.0.1:9001', 2], ['http://127.0.0.1:9002', 1]]);
      assert.equal(b.demo, false);
    });
    it('HEALTH_CHECK_INTERVAL, LB_ADMIN_TOKEN and LOG_LEVEL from env', async () => {
      const { config } = await ok([], { HEALTH_CHECK_INTERVAL: '2.5', LB_ADMIN_TOKEN: 'from-the-environment', LOG_LEVEL: 'debug' });
      assert.equal(config.healthCheck.intervalMs, 2500);
      assert.equal(config.admin.token, 'from-the-environment');
      assert.equal(config.logLevel, 'debug');
    });
  });

  describe('bad input: one line per problem naming source, path and value', () => {
    const table: Array<[string, string[], Record<string, string>, Record<string, unknown>, RegExp[]]> = [
      ['malformed JSON', ['--config', 'c.json'], {}, { 'c.json': '{\n "servers": [}\n' }, [/^c\.json:2:14: invalid JSON: expected a value, found "}"$/]],
      ['a duplicate key', ['--config', 'c.json'], {}, { 'c.json': '{"servers": [\n  {"url": "http://a:1", "url": "http://a:2"}\n]}' }, [/^c\.json:2:25: servers\[0\]\.url: duplicate key$/]],
      ['a duplicate key in --servers', ['--servers', 's.json'], {}, { 's.json': '[{"url": "http://a:1", "weight": 1, "weight": 2}]' }, [/^s\.json:1:37: \[0\]\.weight: duplicate key$/]],
      ['a number no double holds', ['--config', 'c.json'], {}, { 'c.json': `{"timeout": 9${'9'.repeat(400)}}` }, [/^c\.json:1:13: timeout: number out of range, got 9{37}\.\.\.$/]],
      ['10,000 levels of nesting in a value', ['--config', 'c.json'], {}, { 'c.json': `{"timeout": ${'['.repeat(10_000)}${']'.repeat(10_000)}}` }, [/^c\.json:1:76: nested deeper than 64 levels$/]],
      ['a list at the top', ['--config', 'c.json'], {}, { 'c.json': '[{"url": "http://a:1"}]' }, [/^c\.json: must be a JSON object$/]],
      ['unknown algorithm', ['--config', 'c.json'], {}, { 'c.json': { load_balancer: { algorithm: 'fastest' } } }, [/^c\.json: load_balancer\.algorithm: must be one of .*, got "fastest"$/]],
      ['negative weight', ['--config', 'c.json'], {}, { 'c.json': { servers: [{ host: 'a', port: 1 }, { host: 'b', port: 2, weight: -1 }] } }, [/^c\.json: servers\[1\]\.weight: must be a positive number, got -1$/]],
      ['non-numeric weight', ['--config', 'c.json'], {}, { 'c.json': { servers: [{ url: 'http://a', weight: 'x' }] } }, [/^c\.json: servers\[0\]\.weight: must be a positive number, got "x"$/]],
      ['port out of range', ['--config', 'c.json'], {}, { 'c.json': { servers: [{ host: 'a', port: 70000 }] } }, [/^c\.json: servers\[0\]\.port: must be an integer 1-65535, got 70000$/]],
      ['hosts no URL can hold', ['--config', 'c.json'], {}, { 'c.json': { servers: [{ host: '999.1.1.1', port: 80 }, { host: '[', port: 80 }, { host: 'a:b', port: 80 }] } }, [/^c\.json: servers\[0\]\.host: must be a host name or IP address, got "999\.1\.1\.1"$/, /^c\.json: servers\[1\]\.host: must be a host name or IP address, got "\["$/, /^c\.json: servers\[2\]\.host: must be a host name or IP address, got "a:b"$/]],
      ['a URL with port 0 or no usable host', ['--config', 'c.json'], {}, { 'c.json': { servers: [{ url: 'http://127.0.0.1:0' }, { url: 'http://999.1.1.1/' }] } }, [/^c\.json: servers\[0\]\.url: the port must be 1-65535, got "http:\/\/127\.0\.0\.1:0"$/, /^c\.json: servers\[1\]\.url: not a valid URL, got "http:\/\/999\.1\.1\.1\/"$/]],
      ['a listen host no URL can hold', ['--config', 'c.json'], {}, { 'c.json': { load_balancer: { host: '999.1.1.1' } } }, [/^c\.json: load_balancer\.host: must be a host name or IP address, got "999\.1\.1\.1"$/]],
      ['a listen host from the flag', ['--host', 'a b'], {}, {}, [/^flag --host: load_balancer\.host: must be a host name or IP address, got "a b"$/]],
      ['duplicate server', ['--config', 'c.json'], {}, { 'c.json': { servers: [{ host: 'a', port: 80 }, { url: 'http://a' }] } }, [/^c\.json: servers\[1\]: duplicates servers\[0\] \(a:80\)/]],
      ['unknown key at the top', ['--config', 'c.json'], {}, { 'c.json': { colour: 'red' } }, [/^c\.json: colour: unknown key$/]],
      ['unknown key nested', ['--config', 'c.json'], {}, { 'c.json': { health_check: { intervall: 3 } } }, [/^c\.json: health_check\.intervall: unknown key$/]],
      ['bad duration', ['--config', 'c.json'], {}, { 'c.json': { timeout: 'soon' } }, [/^c\.json: timeout: must be seconds .*, got "soon"$/]],
      ['bad sticky settings', ['--config', 'c.json'], {}, { 'c.json': { sticky: { cookie: 'a b', same_site: 'lax', ttl: 0 } } }, [/^c\.json: sticky\.cookie: must be a cookie name .*, got "a b"$/, /^c\.json: sticky\.ttl: must be more than 0, got 0$/, /^c\.json: sticky\.same_site: must be one of Lax, Strict, None, got "lax"$/]],
      ['a short sticky secret, in the file or the environment', ['--config', 'c.json'], { LB_STICKY_SECRET: 'short' }, { 'c.json': { sticky: { secret: 'tiny' } } }, [/^c\.json: sticky\.secret: must be at least 16 characters, got "tiny"$/, /^env LB_STICKY_SECRET: must be at least 16 characters$/]],
      ['missing file', ['--config', 'nope.json'], {}, {}, [/^flag --config: cannot read config file "nope\.json": ENOENT$/]],
      ['bad env', [], { LB_PORT: 'x', MAX_RETRIES: '-1', TIMEOUT: 'later' }, {}, [/^env LB_PORT: load_balancer\.port: .*got "x"$/, /^env MAX_RETRIES: retries: .*got -1$/, /^env TIMEOUT: timeout: .*got "later"$/]],
      ['bad flag values', ['--port', '99999', '--backend', 'ftp://x'], {}, {}, [/^flag --port: load_balancer\.port: .*got 99999$/, /^flag --backend: servers\[0\]\.url: must be an http\(s\) URL, got "ftp:\/\/x"$/]],
      ['unknown flag and missing value', ['--bogus', '--port'], {}, {}, [/^flag --bogus: unknown flag/, /^flag --port: needs a value$/]],
    ];
    for (const [name, argv, env, files, patterns] of table) {
      it(name, async () => {
        const lines = await errors(argv, env, files);
        for (const p of patterns) assert.ok(lines.some((l) => p.test(l)), `${p} not in ${JSON.stringify(lines)}`);
        for (const l of lines) assert.doesNotMatch(l, /\n/, 'one line per problem');
      });
    }
  });

  it('LB_STICKY_SECRET signs every sticky setting that has no secret of its own', async () => {
    const { config } = await ok(['--config', 'c.json'], { LB_STICKY_SECRET: 'sixteen-chars-or-more' }, { 'c.json': { sticky: {} } });
    assert.equal(config.stickySecret, 'sixteen-chars-or-more');
    assert.equal(config.sticky!.secret, undefined);
  });

  it('--help returns the help text', async () => {
    const r = await resolve(['--help']);
    assert.ok(r.ok && 'help' in r && r.help.includes('--backend'));
  });
});
