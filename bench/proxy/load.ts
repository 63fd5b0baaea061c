/**
 * The load generator: wrk when it is installed (`wrk -t1 -cN -dS --latency`, run as its own
 * process, stopped by PID), else autocannon in this process. Both report the same figures.
 */
import autocannon from 'autocannon';
import { installed, start, stop } from './procs.ts';

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Socket errors, timeouts and non-2xx/3xx answers. */
  errors: number;
}

export interface LoadGenerator {
  name: string;
  run(url: string, seconds: number, connections: number): Promise<LoadResult>;
}

const UNIT_MS: Record<string, number> = { us: 1e-3, ms: 1, s: 1e3, m: 60e3 };

/** Milliseconds from wrk's `1.23ms` / `850.00us` / `1.01s`. */
function ms(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) throw new Error(`wrk printed a latency this does not read: ${JSON.stringify(text)}`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

/** Reads `wrk --latency` output; throws naming what is missing. */
export function parseWrk(out: string): LoadResult {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(out);
  const p50 = /^\s*50%\s+(\S+)/m.exec(out);
  const p99 = /^\s*99%\s+(\S+)/m.exec(out);
  if (!total || !p50 || !p99) throw new Error(`wrk output lacks ${!total ? 'the request count' : 'the latency distribution'}:\n${out}`);
  const seconds = ms(total[2] + total[3]) / 1e3;
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const errors = (socket ? socket.slice(1).reduce((n, x) => n + Number(x), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0);
  const requests = Number(total[1]);
  return { requests, seconds, rps: requests / seconds, p50Ms: ms(p50[1]), p99Ms: ms(p99[1]), errors };
}

function wrk(path: string): LoadGenerator {
  return {
    name: 'wrk -t1',
    async run(url, seconds, connections) {
      const proc = start('wrk', path, ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '5s', url]);
      let out = '';
      proc.child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const code = await proc.exited;
      await stop(proc);
      if (code !== 0) throw new Error(`wrk exited with ${code}:\n${proc.tail()}`);
      return parseWrk(out);
    },
  };
}

const cannon: LoadGenerator = {
  name: 'autocannon (in-process; wrk is not installed)',
  run: (url, seconds, connections) =>
    new Promise((resolve, reject) => {
      autocannon({ url, connections, duration: seconds }, (err, r) => {
        if (err) return reject(err);
        resolve({
          requests: r.requests.total,
          seconds: r.duration,
          rps: r.requests.total / r.duration,
          p50Ms: r.latency.p50,
          p99Ms: r.latency.p99,
          errors: r.errors + r.timeouts + r.non2xx,
        });
      });
    }),
};

/** wrk when installed, else autocannon; `BENCH_LOAD=autocannon` picks autocannon anyway. */
export function loadGenerator(env: NodeJS.ProcessEnv = process.env): LoadGenerator {
  const path = installed('wrk');
  if (env.BENCH_LOAD === 'autocannon') return { ...cannon, name: 'autocannon (in-process; BENCH_LOAD=autocannon)' };
  return path ? wrk(path) : cannon;
}
