/** The entry as a user runs it: bad input exits 2 with one line per problem, never a stack trace. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { runToExit, startEntry, writeConfig, type RuntimeName } from './conformance/harness.ts';

describe('command line (npm start)', () => {
  it('--help prints every flag and env var and exits 0', async () => {
    const r = await runToExit('node', ['--help']);
    assert.equal(r.code, 0);
    for (const word of ['--config', '--servers', '--backend', '--algorithm', '--port', '--host', 'LB_PORT', 'HEALTH_CHECK_INTERVAL', 'MAX_RETRIES', 'TIMEOUT']) {
      assert.ok(r.stdout.includes(word) || r.stderr.includes(word), `help lacks ${word}`);
    }
  });

  const bad: Array<[string, string[], Record<string, string>, RegExp[]]> = [
    ['malformed JSON names line and column', ['--config', ''], {}, [/config\.json:3:18: invalid JSON/]],
    ['unknown algorithm', ['--algorithm', 'fastest', '--backend', 'http://127.0.0.1:9001'], {}, [/^flag --algorithm: load_balancer\.algorithm: must be one of .*got "fastest"$/m]],
    ['negative weight and port out of range in a file', ['--config', 'FILE'], {}, [/config\.json: servers\[1\]\.weight: must be a positive number, got -2$/m, /config\.json: load_balancer\.port: .*got 70000$/m]],
    ['non-numeric env', ['--backend', 'http://127.0.0.1:9001'], { LB_PORT: 'eighty', MAX_RETRIES: 'x' }, [/^env LB_PORT: load_balancer\.port: .*got "eighty"$/m, /^env MAX_RETRIES: retries: .*got "x"$/m]],
    ['duplicate server', ['--backend', 'http://127.0.0.1:9001', '--backend', 'http://127.0.0.1:9001/'], {}, [/servers\[1\]: duplicates servers\[0\] \(127\.0\.0\.1:9001\)/]],
    ['unknown flag', ['--colour', 'red'], {}, [/^flag --colour: unknown flag/m]],
  ];
  for (const [name, args, env, patterns] of bad) {
    it(`exits 2 on ${name}`, async () => {
      let argv = args;
      if (args[1] === '') {
        const path = writeConfig({});
        writeFileSync(path, '{\n  "servers": [\n    {"host": "a" "port": 1}\n  ]\n}\n');
        argv = ['--config', path];
      } else if (args[1] === 'FILE') {
        argv = ['--config', writeConfig({ load_balancer: { port: 70000 }, servers: [{ host: '127.0.0.1', port: 1 }, { host: '127.0.0.1', port: 2, weight: -2 }] })];
      }
      const r = await runToExit('node', argv, env);
      assert.equal(r.code, 2, r.stderr);
      for (const p of patterns) assert.match(r.stderr, p);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  it("loads seed 004's config.json as written", async () => {
    const path = writeConfig({
      load_balancer: { port: 0, host: '127.0.0.1', algorithm: 'consistent_hash' },
      servers: [
        { host: '127.0.0.1', port: 18001, weight: 1 },
        { host: '127.0.0.1', port: 18002, weight: 1 },
        { host: '127.0.0.1', port: 18003, weight: 2 },
      ],
      health_check: { enabled: true, interval: 30, timeout: 5, retries: 3 },
      consistent_hash: { virtual_nodes: 150, hash_function: 'fnv1a' },
    });
    const lb = await startEntry('node', ['--config', path]);
    try {
      const stats = (await (await fetch(`${lb.url}/api/stats`)).json()) as { algorithm: string; servers: Record<string, { weight: number }> };
      assert.equal(stats.algorithm, 'consistent_hash');
      assert.deepEqual(Object.values(stats.servers).map((s) => s.weight), [1, 1, 2]);
      assert.doesNotMatch(lb.output(), /\[demo\]/, 'no demo backends with a config');
    } finally {
      await lb.stop('SIGKILL');
    }
  });

  it('an edge-only storage in a shared config file warns and keeps state in memory', async () => {
    const lb = await startEntry('node', ['--config', writeConfig({ load_balancer: { port: 0 }, servers: [{ url: 'http://127.0.0.1:9' }], storage: 'kv', health_check: { enabled: false } })]);
    try {
      assert.match(lb.output(), /storage "kv" needs the SWITCHYARD_KV binding .*; this process keeps its state in memory/);
      assert.equal(((await (await fetch(`${lb.url}/api/stats`)).json()) as { storage: string }).storage, 'memory');
    } finally {
      await lb.stop('SIGKILL');
    }
  });

  it('with nothing configured, starts three demo backends and balances over them', async () => {
    const lb = await startEntry('node', ['--port', '0'], { LOG_LEVEL: 'warn' });
    try {
      assert.equal((lb.output().match(/\[demo\]/g) ?? []).length, 3);
      const names = new Set<string>();
      for (let i = 0; i < 3; i++) names.add(((await (await fetch(`${lb.url}/x`)).json()) as { handled_by: string }).handled_by);
      assert.deepEqual([...names].sort(), ['Backend Server 1', 'Backend Server 2', 'Backend Server 3']);
    } finally {
      assert.equal(await lb.stop('SIGTERM'), 0);
    }
  });
});

/** Config files written to hurt the loader: each exits 2 with the file, the path and the value, on every runtime. */
describe('hostile config files exit 2 naming file, path and value (node, bun, deno)', () => {
  const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
  const deepObjects = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
  const table: Array<[string, string, RegExp]> = [
    ['10,000 levels of nesting', `{"timeout": ${deep(10_000)}}`, /config\.json:1:76: nested deeper than 64 levels$/m],
    ['100,000 levels of nesting', `{"load_balancer": {"port": 0},\n "health_check": {"path": ${deepObjects(100_000)}}}`, /config\.json:2:\d+: nested deeper than 64 levels$/m],
    ['a host 999.1.1.1', JSON.stringify({ servers: [{ host: '999.1.1.1', port: 80 }] }), /config\.json: servers\[0\]\.host: must be a host name or IP address, got "999\.1\.1\.1"$/m],
    ['a host [', JSON.stringify({ servers: [{ host: '[', port: 80 }] }), /config\.json: servers\[0\]\.host: must be a host name or IP address, got "\["$/m],
    ['a host a:b', JSON.stringify({ servers: [{ host: 'a:b', port: 80 }] }), /config\.json: servers\[0\]\.host: must be a host name or IP address, got "a:b"$/m],
    ['a URL with port 0', JSON.stringify({ servers: [{ url: 'http://127.0.0.1:0' }] }), /config\.json: servers\[0\]\.url: the port must be 1-65535, got "http:\/\/127\.0\.0\.1:0"$/m],
    ['"sticky": []', JSON.stringify({ servers: [{ url: 'http://127.0.0.1:9' }], sticky: [] }), /config\.json: sticky: must be an object, got \[\]$/m],
    ['a duplicate key', '{"servers": [\n  {"url": "http://127.0.0.1:9", "url": "http://127.0.0.1:10"}\n]}', /config\.json:2:33: servers\[0\]\.url: duplicate key$/m],
    ['a huge number', `{"load_balancer": {"port": 1${'0'.repeat(400)}}}`, /config\.json:1:28: load_balancer\.port: number out of range, got 10+\.\.\.$/m],
    ['a list at the top level', '[{"url": "http://127.0.0.1:9"}]', /config\.json: must be a JSON object$/m],
  ];
  for (const runtime of ['node', 'bun', 'deno'] satisfies RuntimeName[]) {
    for (const [name, text, line] of table) {
      it(`${runtime}: ${name}`, { timeout: 60_000 }, async () => {
        const path = writeConfig({});
        writeFileSync(path, text);
        const r = await runToExit(runtime, ['--config', path]);
        assert.equal(r.code, 2, `exit code ${r.code}:\n${r.stderr.slice(0, 2000)}`);
        assert.match(r.stderr, line);
        assert.ok(r.stderr.includes(path), 'names the file');
        assert.doesNotMatch(r.stderr, /\n\s+at |RangeError|Uncaught|error: /, 'no stack trace');
        assert.doesNotMatch(r.stdout, /listening/);
      });
    }
  }
});
