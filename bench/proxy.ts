/**
 * End to end on loopback: every contender in bench/proxy/contenders.ts (nginx, HAProxy, the
 * Bun, Node and Deno floors, fastify, Switchyard on each runtime with its defaults and with
 * `--access-log off`) over the same three backends, small and 64 KiB bodies. The proxy under test
 * runs alone on one CPU; each is warmed up, the contenders alternate each round, and medians of
 * the rounds go into one table and a JSON file. Every process it starts is stopped by PID, also on
 * Ctrl-C and on error.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus as osCpus } from 'node:os';
import { dirname, join } from 'node:path';
import { contenders, ROOT, type Contender } from './proxy/contenders.ts';
import { loadGenerator, type LoadGenerator } from './proxy/load.ts';
import { cpuMicros, installed, killAllNow, listeningUrl, peakRssBytes, pin, start, stopAll, type Proc } from './proxy/procs.ts';
import { json, rows, table, type Measured, type Window } from './proxy/report.ts';
import { freePort, nginxBackendConfig, tempDir } from './proxy/servers.ts';
import { LARGE_BYTES, SMALL_BYTES } from './backend-node.ts';

export interface ProxyBenchOptions {
  /** Seconds per measured window. */
  seconds: number;
  rounds: number;
  /** Warm-up seconds per contender on the small body (Deno's contenders get twice as long). */
  warmupSeconds: number;
  connections: number;
  /** Contender ids to run (all when empty). */
  only: string[];
  /** Where the JSON goes. */
  jsonPath: string;
  quick: boolean;
}

export const DEFAULT_JSON = join(ROOT, 'bench/results/latest.json');

export function proxyOptions(quick: boolean, env: NodeJS.ProcessEnv = process.env): ProxyBenchOptions {
  const num = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: ${JSON.stringify(raw)} is not a whole number of at least 0`);
    return n;
  };
  return {
    seconds: num('BENCH_SECONDS', quick ? 2 : 10),
    rounds: Math.max(1, num('BENCH_ROUNDS', quick ? 1 : 3)),
    warmupSeconds: num('BENCH_WARMUP', quick ? 1 : 15),
    connections: Math.max(1, num('BENCH_CONNECTIONS', 50)),
    only: [],
    jsonPath: DEFAULT_JSON,
    quick,
  };
}

const BODIES = [
  { name: '100 B', path: '/small', bytes: SMALL_BYTES },
  { name: '64 KiB', path: '/large', bytes: LARGE_BYTES },
];

/** The three backends: one nginx listening on three ports, else (or with BENCH_BACKENDS=node) three Node processes. */
async function startBackends(restCpus: number): Promise<{ urls: string[]; note: string }> {
  const nginx = installed('nginx');
  const forced = process.env.BENCH_BACKENDS === 'node';
  if (nginx && !forced) {
    const dir = tempDir('switchyard-bench-backends-');
    const ports = [await freePort(), await freePort(), await freePort()];
    const workers = Math.max(1, restCpus);
    writeFileSync(join(dir, 'nginx.conf'), nginxBackendConfig(dir, ports, workers));
    const proc = start('nginx backends', nginx, ['-e', 'stderr', '-p', dir, '-c', join(dir, 'nginx.conf')]);
    const urls = ports.map((p) => `http://127.0.0.1:${p}`);
    for (const url of urls) await check(proc, url, '/health', 3, 15_000);
    return { urls, note: `nginx (${workers} worker${workers > 1 ? 's' : ''}, static files) on 3 ports` };
  }
  const urls: string[] = [];
  for (let i = 0; i < 3; i++) {
    const proc = start(`node backend ${i + 1}`, process.execPath, ['--import', 'tsx', 'bench/backend-node.ts', '0'], { cwd: ROOT });
    urls.push(await listeningUrl(proc));
  }
  return { urls, note: `three node:http processes (${forced ? 'BENCH_BACKENDS=node' : 'nginx is not installed'})` };
}

/** GETs `url + path` until it answers 200 with `bytes` bytes; throws naming what came back. */
async function check(proc: Proc, url: string, path: string, bytes: number, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    if (proc.child.exitCode !== null) throw new Error(`exited (${proc.child.exitCode}): ${proc.tail()}`);
    try {
      const res = await fetch(url + path);
      const got = (await res.arrayBuffer()).byteLength;
      if (res.status === 200 && got === bytes) return;
      last = `answered ${res.status} with ${got} bytes`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`GET ${path} expected 200 with ${bytes} bytes: ${last}`);
}

async function measure(gen: LoadGenerator, proc: Proc, url: string, seconds: number, connections: number): Promise<Window> {
  const cpuBefore = cpuMicros(proc.pid);
  const r = await gen.run(url, seconds, connections);
  const cpu = cpuMicros(proc.pid) - cpuBefore;
  return { ...r, cpuUsPerRequest: r.requests ? cpu / r.requests : NaN, peakRssBytes: peakRssBytes(proc.pid) };
}

/** The telling line of a start failure: the first alert or error line, else the first line. */
function gist(message: string): string {
  const lines = message.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /alert|error|emerg/i.test(l)) ?? lines[0] ?? 'no output';
}

interface Live {
  c: Contender;
  proc: Proc;
  url: string;
}

export async function runProxyBench(opts: ProxyBenchOptions, print: (line: string) => void = console.log): Promise<void> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const onSignal = (sig: NodeJS.Signals) => {
    say(`\n${sig}: stopping every process this run started`);
    void stopAll().then(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', killAllNow);
  const startedAt = new Date().toISOString();
  try {
    const pinning = pin();
    const gen = loadGenerator();
    const restCpus = pinning.rest ? pinning.rest.split(',').length : osCpus().length;
    const backends = await startBackends(restCpus);
    const wanted = contenders().filter((c) => opts.only.length === 0 || opts.only.includes(c.id));
    const skipped = wanted.filter((c) => c.missing).map((c) => ({ id: c.id, reason: c.missing! }));
    for (const s of skipped) say(`${s.id}: not run: ${s.reason}`);
    const started = await Promise.allSettled(wanted.filter((c) => !c.missing).map(async (c) => ({ c, ...(await c.start(backends.urls, pinning.proxy)) })));
    const live: Live[] = [];
    for (const [i, s] of started.entries()) {
      const c = wanted.filter((x) => !x.missing)[i];
      if (s.status === 'rejected') {
        skipped.push({ id: c.id, reason: `did not start: ${gist((s.reason as Error).message)}` });
        say(`${c.id}: did not start:\n${(s.reason as Error).message}`);
        continue;
      }
      try {
        for (const b of BODIES) await check(s.value.proc, s.value.url, b.path, b.bytes, 15_000);
        live.push(s.value);
      } catch (e) {
        skipped.push({ id: c.id, reason: `wrong answer: ${(e as Error).message}` });
        say(`${c.id}: left out: ${(e as Error).message}`);
      }
    }
    const warm = (c: Contender) => (c.runtime === 'deno' ? 2 : 1) * opts.warmupSeconds;
    const warmLarge = Math.min(5, Math.ceil(opts.warmupSeconds / 3));
    const total = live.reduce((n, l) => n + warm(l.c) + warmLarge, 0) + live.length * BODIES.length * opts.rounds * opts.seconds;
    print(
      `proxies: ${live.length} contenders over ${backends.note}; load: ${gen.name}, ${opts.connections} connections; ` +
        `${pinning.note}; warm-up ${opts.warmupSeconds} s each (Deno ${2 * opts.warmupSeconds} s); ` +
        `${opts.rounds} round(s) of ${opts.seconds} s per body, contenders alternated; about ${Math.ceil(total / 60)} min`,
    );
    for (const l of live) {
      say(`warming up ${l.c.id} (${warm(l.c)} s + ${warmLarge} s)`);
      if (warm(l.c) > 0) await gen.run(l.url + BODIES[0].path, warm(l.c), opts.connections);
      if (warmLarge > 0) await gen.run(l.url + BODIES[1].path, warmLarge, opts.connections);
    }
    const measured: Measured[] = [];
    for (const body of BODIES) {
      const rounds = new Map<Live, Window[]>(live.map((l) => [l, []]));
      for (let round = 0; round < opts.rounds; round++) {
        const order = round % 2 ? [...live].reverse() : live;
        for (const l of order) {
          say(`${body.name} round ${round + 1}/${opts.rounds}: ${l.c.id}`);
          rounds.get(l)!.push(await measure(gen, l.proc, l.url + body.path, opts.seconds, opts.connections));
        }
      }
      for (const l of live) measured.push({ id: l.c.id, label: l.c.label, runtime: l.c.runtime, floor: l.c.floor, body: body.name, rounds: rounds.get(l)! });
    }
    const all = rows(measured);
    print(table(all));
    for (const s of skipped) print(`not run: ${s.id}: ${s.reason}`);
    print(
      `× floor: req/s against the same runtime's floor (fastify against Node's); × nginx: against nginx as a proxy. ` +
        `CPU: the proxy's process tree over the window ÷ requests; RSS: the tree's peak (VmHWM). ` +
        `One machine on loopback: compare ratios within a run; differences under ~10% are noise.`,
    );
    const meta = {
      started_at: startedAt,
      finished_at: new Date().toISOString(),
      quick: opts.quick,
      settings: { seconds: opts.seconds, rounds: opts.rounds, warmup_seconds: opts.warmupSeconds, deno_warmup_seconds: 2 * opts.warmupSeconds, connections: opts.connections },
      machine: { cpus: osCpus().length, pinning: pinning.note, load_generator: gen.name, backends: backends.note },
    };
    mkdirSync(dirname(opts.jsonPath), { recursive: true });
    writeFileSync(opts.jsonPath, json(meta, skipped, all));
    print(`results written to ${opts.jsonPath}`);
  } finally {
    await stopAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', killAllNow);
  }
}
