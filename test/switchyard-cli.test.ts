/** The `switchyard` command and its subcommands, run as a user would. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { ROOT, startEntry, type Running } from './conformance/harness.ts';

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
    [['loadtest', '--bogus'], /Unknown option '--bogus'/],
    [['loadtest', '--url', 'nope'], /--url: an http\(s\) URL is required/],
    [['monitor', '--interval', '99'], /--interval: must be a number 1-60, got "99"/],
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
