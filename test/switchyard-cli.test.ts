/** The `switchyard` command and its subcommands, run as a user would. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ROOT, startEntry, writeConfig, type Running } from './conformance/harness.ts';
import { startBackend, type TestBackend } from './fixtures/backends.ts';

const BIN = 'bin/switchyard.mjs';

function run(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((r) => child.once('exit', (code) => (clearTimeout(timer), r({ code, stdout, stderr }))));
}

/** Spawns `switchyard ARGS`; resolves once its output matches `ready`, with the output so far and a stop function. */
function spawnUntil(args: string[], ready: RegExp, timeoutMs = 20_000): Promise<{ out: () => string; match: RegExpExecArray; stop: (signal?: NodeJS.Signals) => Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const stop = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => void stop('SIGKILL').then(() => reject(new Error(`no ${ready} within ${timeoutMs} ms:\n${out}`))), timeoutMs);
    const onData = (d: Buffer) => {
      out += d;
      const match = ready.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ out: () => out, match, stop });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`exited before ${ready}:\n${out}`));
    });
  });
}

const SCRIPT = '/usr/bin/script';

describe('switchyard command', { timeout: 120_000 }, () => {
  let lb: Running;
  before(async () => {
    lb = await startEntry('node', ['--port', '0']); // demo backends
  });
  after(async () => {
    await lb?.stop('SIGTERM');
  });

  for (const cmd of ['', 'start', 'demo', 'monitor', 'loadtest', 'backend']) {
    it(`${cmd || '(no command)'} --help exits 0 with usage`, async () => {
      const r = await run(cmd ? [cmd, '--help'] : ['--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Usage: /);
    });
  }

  const bad: Array<[string[], RegExp]> = [
    [['frobnicate'], /unknown command "frobnicate"/],
    [['loadtest', '--bogus'], /^switchyard: flag --bogus: unknown flag \(see --help\)$/m],
    [['monitor', '--once=yes'], /^switchyard: flag --once: takes no value, got "yes"$/m],
    [['loadtest', '--url', 'nope'], /--url: an http\(s\) URL is required/],
    [['monitor', '--interval', '99'], /--interval: must be a number 1-60, got "99"/],
    [['monitor', '--once', '--prefix', 'api'], /^switchyard: --prefix: must be a path starting with \/, such as \/api, got "api"$/m],
    [['monitor', 'drain', '127.0.0.1:9', '--service'], /^switchyard: flag --service: needs a value$/m],
    [['backend'], /--port: required/],
    [['backend', '--port', '1', '--fail-rate', '2'], /--fail-rate: must be a number 0-1, got "2"/],
    [['start', '--algorithm', 'nope'], /load_balancer\.algorithm/],
  ];
  for (const [args, pattern] of bad) {
    it(`${args.join(' ')} → one line, exit 2`, async () => {
      const r = await run(args);
      assert.equal(r.code, 2);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
  }

  it('loadtest reports rates, percentiles, statuses and the spread across backends', async () => {
    const r = await run(['loadtest', '--url', `${lb.url}/`, '--requests', '120', '--concurrency', '6', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout) as { requests: number; statuses: Record<string, number>; backends: Record<string, number>; latency_ms: { p99: number } };
    assert.ok(rep.requests >= 120);
    assert.equal(rep.statuses['200'], rep.requests);
    assert.equal(Object.keys(rep.backends).length, 3, JSON.stringify(rep.backends));
    assert.ok(rep.latency_ms.p99 >= 100, 'the demo backends add 100 and 200 ms');
  });

  it('loadtest prints its report as text, with no progress bar when not on a terminal', async () => {
    const r = await run(['loadtest', '--url', `${lb.url}/`, '--requests', '60', '--concurrency', '4']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^60 requests in [\d.]+ s: \d+ req\/s, 0 errors$/m);
    assert.match(r.stdout, /^latency p50 \d+ ms +p90 \d+ ms +p99 \d+ ms +max \d+ ms$/m);
    assert.match(r.stdout, /^status 200: 60$/m);
    assert.equal((r.stdout.match(/^127\.0\.0\.1:\d+ +20 +33\.3%$/gm) ?? []).length, 3, r.stdout);
    assert.doesNotMatch(r.stderr, /running/, 'no progress bar when stderr is not a terminal');
  });

  it('loadtest draws a progress bar on a terminal', { skip: existsSync(SCRIPT) ? false : `${SCRIPT} (util-linux) gives the command a terminal and is not installed` }, () => {
    const cmd = `${process.execPath} ${BIN} loadtest --url ${lb.url}/ --requests 60 --concurrency 4`;
    const r = spawnSync(SCRIPT, ['-qec', cmd, '/dev/null'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const bar = r.stdout.match(/running\S* \[[= ]*\] \d+%/g) ?? [];
    assert.ok(bar.length >= 2, `progress updates: ${JSON.stringify(r.stdout.slice(0, 400))}`);
    assert.match(r.stdout, /status 200: 60/);
  });

  it('monitor redraws its table in place every interval until Ctrl-C', async () => {
    const m = await spawnUntil(['monitor', '--url', lb.url, '--interval', '1'], /(\x1b\[2J\x1b\[H[^]*){2}/);
    assert.match(m.out(), /algorithm round_robin/);
    assert.match(m.out(), /refresh 1s · Ctrl-C quits/);
    await m.stop('SIGINT'); // resolves once the process has ended (by the signal, as a shell's Ctrl-C ends it)
  });

  it('demo starts three backends (0, 100, 200 ms slower) and a balancer over them; SIGTERM stops it', async () => {
    const d = await spawnUntil(['demo', '--port', '0'], /listening on (http:\/\/\S+)[^]*(backend:[^\n]*\n[^]*){3}/);
    const url = d.match[1];
    const served = new Set<string>();
    for (let i = 0; i < 3; i++) served.add((await fetch(`${url}/`)).headers.get('x-served-by') ?? '');
    assert.equal(served.size, 3);
    assert.equal(await d.stop('SIGTERM'), 0);
  });

  it('monitor --once prints the table; add-server, drain and remove-server change the balancer', async () => {
    const once = await run(['monitor', '--url', lb.url, '--once']);
    assert.equal(once.code, 0, once.stderr);
    assert.match(once.stdout, /algorithm round_robin/);
    assert.equal((once.stdout.match(/127\.0\.0\.1:\d+ +healthy/g) ?? []).length, 3);
    assert.equal((await run(['monitor', 'add-server', '127.0.0.1:9', '--url', lb.url])).code, 0);
    assert.equal((await run(['monitor', 'drain', '127.0.0.1:9', '--url', lb.url])).code, 0);
    const stats = (await (await fetch(`${lb.url}/api/stats`)).json()) as { servers: Record<string, { status: string }> };
    assert.equal(stats.servers['127.0.0.1:9'].status, 'draining');
    assert.equal((await run(['monitor', 'remove-server', '127.0.0.1:9', '--url', lb.url])).code, 0);
    const gone = await run(['monitor', 'remove-server', '127.0.0.1:9', '--url', lb.url]);
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /404/);
  });

  describe('monitor against a balancer with services, under another admin prefix', () => {
    // A serves the default service and the api service; B serves web_next.
    let A: TestBackend, B: TestBackend;
    let svc: Running;
    const stats = async () => (await (await fetch(`${svc.url}/_lb/stats`)).json()) as { servers: Record<string, { status: string }>; services: Record<string, { servers: Record<string, { status: string }> }> };
    before(async () => {
      [A, B] = await Promise.all([startBackend('A'), startBackend('B')]);
      svc = await startEntry('node', [
        '--config',
        writeConfig({
          admin: { prefix: '/_lb' },
          load_balancer: { port: 0 },
          servers: [{ url: A.url }],
          services: { web_next: { servers: [{ url: B.url }] }, api: { servers: [{ url: A.url }] } },
          routes: [
            { name: 'api', match: { path_prefix: '/v2/' }, service: 'api', strip_prefix: true },
            { name: 'site', match: { path_prefix: '/' }, split: [{ service: 'default', weight: 95 }, { service: 'web_next', weight: 5 }] },
          ],
          log_level: 'warn',
        }),
      ]);
      for (let i = 0; i < 3; i++) await (await fetch(`${svc.url}/v2/x`)).arrayBuffer();
    });
    after(async () => {
      await svc?.stop('SIGTERM');
      await Promise.all([A, B].map((b) => b?.close()));
    });

    it('monitor --once --prefix shows a line per service and the servers with their service', async () => {
      const r = await run(['monitor', '--once', '--url', svc.url, '--prefix', '/_lb']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^default +round_robin +1\/1 +\d+ /m);
      assert.match(r.stdout, /^web_next +round_robin +1\/1 +0 /m);
      assert.match(r.stdout, /^api +round_robin +1\/1 +3 +0 \(0%\)/m);
      assert.match(r.stdout, /^service +server +health/m);
      assert.match(r.stdout, new RegExp(`^default +${A.id} +healthy`, 'm'));
      assert.match(r.stdout, new RegExp(`^web_next +${B.id} +healthy`, 'm'));
      assert.match(r.stdout, new RegExp(`^api +${A.id} +healthy +1 +0 +3 `, 'm'));
    });

    it('monitor --once --service shows that service only', async () => {
      const r = await run(['monitor', '--once', '--url', svc.url, '--prefix', '/_lb', '--service', 'web_next']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /service web_next {2}algorithm round_robin/);
      assert.match(r.stdout, /^servers 1\/1 healthy {3}requests 0 /m);
      assert.match(r.stdout, new RegExp(`^${B.id} +healthy`, 'm'));
      assert.doesNotMatch(r.stdout, new RegExp(A.id), "no other service's server");
      const none = await run(['monitor', '--once', '--url', svc.url, '--prefix', '/_lb', '--service', 'nope']);
      assert.equal(none.code, 2);
      assert.match(none.stderr, /^switchyard: --service: no service "nope" \(services: default, web_next, api\)$/m);
    });

    it('monitor without --prefix says the admin prefix may be elsewhere', async () => {
      // Here /api/stats is the site's own path: the split sends it to a backend, which answers 200.
      const r = await run(['monitor', '--once', '--url', svc.url]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^switchyard: GET \/stats: http:\/\/\S+\/api\/stats is not Switchyard's statistics \(is \/api its admin prefix\? see --prefix\)$/m);
      // Under the admin prefix but not the API's root: the 404 says the same.
      const other = await run(['monitor', '--once', '--url', svc.url, '--prefix', '/_lb/v9']);
      assert.equal(other.code, 2, other.stderr);
      assert.match(other.stderr, /GET \/stats: 404 .*\(is \/_lb\/v9 its admin prefix\? see --prefix\)/);
    });

    it("monitor drain --service drains the server in that service only; --undo puts it back", async () => {
      const r = await run(['monitor', 'drain', A.id, '--service', 'api', '--url', svc.url, '--prefix', '/_lb']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), `draining ${A.id} in api`);
      let s = await stats();
      assert.equal(s.services.api.servers[A.id].status, 'draining');
      assert.equal(s.services.default.servers[A.id].status, 'healthy', 'the same server in the default service is untouched');
      assert.equal(s.servers[A.id].status, 'healthy');
      const shown = await run(['monitor', '--once', '--url', svc.url, '--prefix', '/_lb']);
      assert.match(shown.stdout, new RegExp(`^api +${A.id} +draining`, 'm'));
      assert.match(shown.stdout, new RegExp(`^default +${A.id} +healthy`, 'm'));
      assert.equal((await run(['monitor', 'drain', A.id, '--undo', '--service', 'api', '--url', svc.url, '--prefix', '/_lb'])).code, 0);
      s = await stats();
      assert.equal(s.services.api.servers[A.id].status, 'healthy');
    });

    it('monitor add-server and remove-server --service change that service', async () => {
      const added = await run(['monitor', 'add-server', '127.0.0.1:9', '--weight', '2', '--service', 'web_next', '--url', svc.url, '--prefix', '/_lb']);
      assert.equal(added.code, 0, added.stderr);
      assert.equal(added.stdout.trim(), 'added 127.0.0.1:9 in web_next');
      let s = await stats();
      assert.ok(s.services.web_next.servers['127.0.0.1:9']);
      assert.equal(s.servers['127.0.0.1:9'], undefined, 'not in the default service');
      assert.equal((await run(['monitor', 'remove-server', '127.0.0.1:9', '--service', 'web_next', '--url', svc.url, '--prefix', '/_lb'])).code, 0);
      s = await stats();
      assert.deepEqual(Object.keys(s.services.web_next.servers), [B.id]);
      const missing = await run(['monitor', 'drain', B.id, '--service', 'nope', '--url', svc.url, '--prefix', '/_lb']);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /PATCH \/services\/nope\/servers\/.*: 404/);
    });
  });

  it('backend --delay and --fail-rate shape every answer', async () => {
    const b = await spawnUntil(['backend', '--port', '0', '--delay', '0.2', '--fail-rate', '1'], /listening on (http:\/\/\S+)/);
    try {
      const t0 = performance.now();
      const res = await fetch(`${b.match[1]}/x`);
      await res.arrayBuffer();
      assert.equal(res.status, 500);
      assert.ok(performance.now() - t0 >= 200, 'delayed by 0.2 s');
    } finally {
      await b.stop();
    }
  });

  it('backend serves /health and echoes with its name', async () => {
    const child = spawn(process.execPath, [BIN, 'backend', '--port', '0', '--name', 'probe'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]);
        });
        child.once('exit', () => reject(new Error(out)));
      });
      assert.equal((await fetch(`${url}/health`)).status, 200);
      assert.equal(((await (await fetch(`${url}/x`)).json()) as { handled_by: string }).handled_by, 'probe');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
