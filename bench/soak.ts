/**
 * `npm run soak -- [--minutes 10] [--runtime node|bun|deno] [--json FILE]`: the balancer under
 * mixed load for a while, its memory and descriptors sampled from /proc.
 *
 * Load, all on 127.0.0.1: keep-alive clients sending GETs and 64 KiB POSTs back to back; slow
 * clients dribbling a request head a byte at a time (reconnecting when cut off); idle keep-alive
 * connections (reconnecting when closed); three backends in their own processes, one of which
 * flaps (killed, restarted, answering 503, hanging) every few seconds. The balancer runs with its
 * default listener limits except shorter header and idle timeouts, so the slow and idle clients
 * are cut off and come back many times within the run.
 *
 * Verdict: RSS growth from the first sampled minute after warm-up to the last (medians) under
 * 10%, and, once the load stops and its connections close, as many descriptors as before the load
 * (give or take one health-probe connection per backend).
 * Exits 1 when either fails. Every process it starts is stopped by its PID (group).
 */
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { startEntry, writeConfig, type RuntimeName } from '../test/conformance/harness.ts';
import { startProcBackend, type ProcBackend } from '../test/reliability/harness.ts';

const { values } = parseArgs({
  options: { minutes: { type: 'string', default: '10' }, runtime: { type: 'string', default: 'node' }, json: { type: 'string' } },
});
const minutes = Number(values.minutes);
const runtime = values.runtime as RuntimeName;
if (!(minutes > 0) || !['node', 'bun', 'deno'].includes(runtime)) {
  console.error(`soak: --minutes must be a number > 0 (got ${JSON.stringify(values.minutes)}) and --runtime node, bun or deno (got ${JSON.stringify(values.runtime)})`);
  process.exit(2);
}
const durationMs = minutes * 60_000;
const warmupMs = Math.min(60_000, durationMs / 5);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** RSS (KiB) and open descriptors summed over a process group. */
function sampleGroup(pgid: number): { rssKiB: number; fds: number } {
  let rssKiB = 0;
  let fds = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command's closing parenthesis: state, ppid, pgrp, ...
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgrp !== pgid) continue;
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      rssKiB += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      fds += readdirSync(`/proc/${entry}/fd`).length;
    } catch {
      // the process ended between listing and reading
    }
  }
  return { rssKiB, fds };
}

/** The descriptors of a process group by what they are: a TCP connection by its remote port, else the link's kind. */
function describeGroup(pgid: number): Record<string, number> {
  const tcp = new Map<string, string>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 9) tcp.set(f[9], f[3] === '0A' ? 'listening socket' : `tcp to port ${parseInt(f[2].split(':')[1], 16)}`);
  }
  const out: Record<string, number> = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) !== pgid) continue;
      for (const fd of readdirSync(`/proc/${entry}/fd`)) {
        const link = readlinkSync(`/proc/${entry}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
        const what = inode ? (tcp.get(inode) ?? 'other socket') : link.replace(/:\[\d+\]$/, '').replace(/^\/.*/, 'file');
        out[what] = (out[what] ?? 0) + 1;
      }
    } catch {
      // the process or descriptor went away while listing
    }
  }
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

const backends: ProcBackend[] = [];
for (const name of ['a', 'b', 'flappy']) backends.push(await startProcBackend(name));
const config = writeConfig({
  load_balancer: { port: 0, header_timeout: 5, idle_timeout: 5 },
  servers: backends.map((b) => ({ url: b.url })),
  health_check: { interval: 1, fall: 2, rise: 2, timeout: 0.5 },
  timeout: 1,
  access_log: 'off',
  log_level: 'error',
});
const lb = await startEntry(runtime, ['--config', config]);
const pgid = lb.child.pid!;
// The baseline is the balancer at rest once running: after a request to each backend and two
// health rounds, so the keep-alive connection it holds to each backend is open in both samples.
for (let i = 0; i < backends.length; i++) await (await request(`${lb.url}/echo`)).body.dump();
await sleep(2_500);
const base = sampleGroup(pgid);
const baseKinds = describeGroup(pgid);
console.log(`soak: ${runtime} for ${minutes} min on ${lb.url}; at start ${(base.rssKiB / 1024).toFixed(1)} MiB RSS, ${base.fds} descriptors`);

const until = Date.now() + durationMs;
const counts = { requests: 0, ok: 0, failed: 0, slowCut: 0, idleCut: 0, flaps: 0 };
const agent = new Agent({ connections: 8, keepAliveTimeout: 2_000 });
const body = Buffer.alloc(64 * 1024, 'x');
const { hostname, port } = new URL(lb.url);

async function client(post: boolean): Promise<void> {
  while (Date.now() < until) {
    counts.requests++;
    try {
      const r = await request(`${lb.url}/echo`, { method: post ? 'POST' : 'GET', body: post ? body : undefined, dispatcher: agent });
      await r.body.dump();
      if (r.statusCode === 200) counts.ok++;
      else counts.failed++;
    } catch {
      counts.failed++;
    }
  }
}

const sockets = new Set<Socket>();
/** Opens a connection, runs `use` on it, and opens another when the balancer closes it. */
function keepReconnecting(use: (s: Socket) => void, cut: () => void): void {
  if (Date.now() >= until) return;
  const s = connect(Number(port), hostname);
  sockets.add(s);
  s.on('error', () => {});
  s.once('connect', () => use(s));
  s.once('close', () => {
    sockets.delete(s);
    if (Date.now() >= until) return;
    cut();
    setTimeout(() => keepReconnecting(use, cut), 200);
  });
}
const slowloris = (s: Socket) => {
  const head = `GET /echo HTTP/1.1\r\nHost: ${hostname}\r\nX-Slow: `;
  let i = 0;
  const t = setInterval(() => {
    if (s.destroyed || Date.now() >= until) return void clearInterval(t);
    s.write(head[i++ % head.length]);
  }, 1000);
  s.once('close', () => clearInterval(t));
};
const idle = (s: Socket) => {
  s.write(`GET /echo HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
  s.resume();
};

async function flap(): Promise<void> {
  const flappy = backends[2];
  const steps: Array<() => Promise<void>> = [
    () => flappy.kill(),
    () => flappy.restart(),
    () => flappy.setMode('fail503'),
    () => flappy.setMode('hang'),
    () => flappy.setMode('ok'),
  ];
  let i = 0;
  while (Date.now() < until) {
    await sleep(4_000);
    try {
      await steps[i++ % steps.length]();
      counts.flaps++;
    } catch {
      // a control request to a backend that is down: the next step restarts it
    }
  }
  if (flappy.child.exitCode !== null || flappy.child.signalCode !== null) await flappy.restart().catch(() => {});
  await flappy.setMode('ok').catch(() => {});
}

const samples: Array<{ at: number; rssKiB: number; fds: number }> = [];
const sampler = setInterval(() => samples.push({ at: Date.now(), ...sampleGroup(pgid) }), 5_000);
for (let i = 0; i < 50; i++) keepReconnecting(slowloris, () => counts.slowCut++);
for (let i = 0; i < 200; i++) keepReconnecting(idle, () => counts.idleCut++);
await Promise.all([...Array.from({ length: 6 }, () => client(false)), client(true), client(true), flap()]);
clearInterval(sampler);

// Load over: close what the test holds open, then let the balancer settle.
for (const s of sockets) s.destroy();
await agent.close();
let after = sampleGroup(pgid);
for (let i = 0; i < 80 && after.fds > base.fds; i++) {
  await sleep(250);
  after = sampleGroup(pgid);
}

const t0 = samples[0]?.at ?? Date.now();
const first = samples.filter((s) => s.at - t0 >= warmupMs && s.at - t0 < warmupMs + 60_000).map((s) => s.rssKiB);
const last = samples.filter((s) => s.at >= until - 60_000).map((s) => s.rssKiB);
const growth = (median(last) - median(first)) / median(first);
const peak = Math.max(...samples.map((s) => s.rssKiB));
const result = {
  runtime,
  minutes,
  requests: counts.requests,
  ok: counts.ok,
  failed: counts.failed,
  slow_clients_cut_off: counts.slowCut,
  idle_connections_closed: counts.idleCut,
  backend_flaps: counts.flaps,
  rss_mib: { start: base.rssKiB / 1024, first_minute: median(first) / 1024, last_minute: median(last) / 1024, peak: peak / 1024 },
  rss_growth_percent: growth * 100,
  descriptors: { before: base.fds, peak_under_load: Math.max(...samples.map((s) => s.fds)), after: after.fds },
};
const afterKinds = describeGroup(pgid);
await lb.stop();
for (const b of backends) await b.kill().catch(() => {});

const mib = (x: number) => `${x.toFixed(1)} MiB`;
console.log(
  [
    `requests ${result.requests} (${result.ok} × 200, ${result.failed} other or failed)`,
    `slow clients cut off ${result.slow_clients_cut_off} times, idle connections closed ${result.idle_connections_closed} times, backend flapped ${result.backend_flaps} times`,
    `RSS: ${mib(result.rss_mib.first_minute)} after warm-up → ${mib(result.rss_mib.last_minute)} in the last minute (${result.rss_growth_percent.toFixed(1)}%), peak ${mib(result.rss_mib.peak)}`,
    `descriptors: ${result.descriptors.before} before, ${result.descriptors.peak_under_load} peak, ${result.descriptors.after} after`,
  ].join('\n'),
);
const kinds = [...new Set([...Object.keys(baseKinds), ...Object.keys(afterKinds)])].filter((k) => baseKinds[k] !== afterKinds[k]);
if (kinds.length) console.log(`descriptors that changed: ${kinds.map((k) => `${k} ${baseKinds[k] ?? 0} → ${afterKinds[k] ?? 0}`).join(', ')} (backends on ports ${backends.map((b) => b.port).join(', ')})`);
if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
// A health probe's connection to each backend may be open at the moment of sampling.
const leak = result.descriptors.after > result.descriptors.before + backends.length;
if (!(result.rss_growth_percent < 10) || leak) {
  console.error(`soak: FAILED (${leak ? 'descriptors leaked' : `RSS grew ${result.rss_growth_percent.toFixed(1)}%`})`);
  process.exit(1);
}
console.log('soak: passed (RSS growth under 10%, no descriptor leak)');
