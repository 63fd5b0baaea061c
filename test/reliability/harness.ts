/**
 * Pieces for the reliability acceptance tests: backends in their own
 * processes (so SIGKILL is real), a bounded closed-loop load generator, and
 * polling helpers. Every process is stopped by its own PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'undici';
import { ROOT } from '../conformance/harness.ts';

export interface ProcBackend {
  name: string;
  port: number;
  id: string;
  url: string;
  child: ChildProcess;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  setMode(mode: 'ok' | 'fail503' | 'hang' | 'unhealthy'): Promise<void>;
  hits(): Promise<{ total: number; byMethod: Record<string, number> }>;
}

function spawnBackend(name: string, port: number): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/backend-process.ts', name, String(port)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`backend ${name} did not start`)), 20_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.once('exit', (code) => reject(new Error(`backend ${name} exited ${code}`)));
  });
}

const control = new Agent({ keepAliveTimeout: 1 });

export async function startProcBackend(name: string): Promise<ProcBackend> {
  let { child, port } = await spawnBackend(name, 0);
  const url = `http://127.0.0.1:${port}`;
  const ctl = async (query: string) => {
    const r = await request(`${url}/__control${query}`, { dispatcher: control });
    return (await r.body.json()) as { hits: { total: number; byMethod: Record<string, number> } };
  };
  const b: ProcBackend = {
    name,
    port,
    id: `127.0.0.1:${port}`,
    url,
    get child() {
      return child;
    },
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
    restart: async () => {
      ({ child } = await spawnBackend(name, port));
    },
    setMode: async (mode) => void (await ctl(`?mode=${mode}`)),
    hits: async () => (await ctl('')).hits,
  };
  return b;
}

export interface LoadResult {
  sent: number;
  failed: number;
  statuses: Record<string, number>;
  maxLatencyMs: number;
  latencies: number[];
}

/**
 * `clients` concurrent clients send `method path` back to back for `seconds`
 * (bounded), each over its own keep-alive connection; returns what came back.
 */
export async function runLoad(url: string, opts: { clients: number; seconds: number; method?: string; path?: string; body?: string }): Promise<LoadResult> {
  const agent = new Agent({ connections: opts.clients, keepAliveTimeout: 10_000 });
  const res: LoadResult = { sent: 0, failed: 0, statuses: {}, maxLatencyMs: 0, latencies: [] };
  const until = performance.now() + opts.seconds * 1000;
  async function client(): Promise<void> {
    while (performance.now() < until) {
      const t0 = performance.now();
      let status = 'error';
      try {
        const r = await request(url + (opts.path ?? '/echo'), { method: (opts.method ?? 'GET') as 'GET', body: opts.body, dispatcher: agent });
        await r.body.dump();
        status = String(r.statusCode);
      } catch {
        // a connection error counts as failed
      }
      const ms = performance.now() - t0;
      res.sent++;
      res.latencies.push(ms);
      res.maxLatencyMs = Math.max(res.maxLatencyMs, ms);
      res.statuses[status] = (res.statuses[status] ?? 0) + 1;
      if (status !== '200') res.failed++;
    }
  }
  await Promise.all(Array.from({ length: opts.clients }, client));
  await agent.close();
  return res;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 25 ms; resolves with the ms it took, or rejects after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (await check()) return performance.now() - t0;
    await sleep(25);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

/** Prints a figure line into the test output (and collects it for the summary). */
export function report(line: string): void {
  process.stdout.write(`# figure: ${line}\n`);
}
