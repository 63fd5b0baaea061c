/**
 * End to end on loopback: requests/s and p99 of direct-to-backend and of the
 * balancer on Node, Bun and Deno, measured with autocannon. Contenders are
 * alternated per round; medians of the rounds are printed, with the ratio to
 * direct. BENCH_SECONDS, BENCH_WARMUP, BENCH_ROUNDS, BENCH_CONNECTIONS tune it.
 */
import autocannon from 'autocannon';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEntry, type Running, type RuntimeName } from '../test/conformance/harness.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 15);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);

function load(url: string, seconds: number): Promise<{ rps: number; p99: number; errors: number }> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: seconds }, (err, r) =>
      err ? reject(err) : resolve({ rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.non2xx }),
    );
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function runProxyBench(print: (line: string) => void = console.log): Promise<void> {
  const body = Buffer.from('hello from the backend\n');
  const backend = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  });
  backend.keepAliveTimeout = 10_000;
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
  const target = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  const running: Array<{ name: string; url: string; proc?: Running }> = [{ name: 'direct to backend', url: target }];
  try {
    for (const rt of ['node', 'bun', 'deno'] as RuntimeName[]) {
      const proc = await startEntry(rt, ['--backend', target, '--port', '0', '--access-log', 'off'], { LOG_LEVEL: 'error' });
      running.push({ name: `switchyard on ${rt}`, url: proc.url, proc });
    }
    print(`end to end: ${CONNECTIONS} connections, warm-up ${WARMUP} s each, ${ROUNDS} round(s) of ${SECONDS} s, contenders alternated`);
    for (const c of running) if (WARMUP > 0) await load(c.url, WARMUP);
    const results = new Map<string, Array<{ rps: number; p99: number; errors: number }>>();
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [...running].reverse() : running;
      for (const c of order) {
        const r = await load(c.url, SECONDS);
        results.set(c.name, [...(results.get(c.name) ?? []), r]);
      }
    }
    const direct = median(results.get(running[0].name)!.map((r) => r.rps));
    print(`${'contender'.padEnd(22)}${'req/s'.padStart(10)}${'p99 ms'.padStart(9)}${'vs direct'.padStart(11)}${'errors'.padStart(8)}`);
    for (const c of running) {
      const rs = results.get(c.name)!;
      const rps = median(rs.map((r) => r.rps));
      print(`${c.name.padEnd(22)}${rps.toFixed(0).padStart(10)}${median(rs.map((r) => r.p99)).toFixed(1).padStart(9)}${`${((rps / direct) * 100).toFixed(0)}%`.padStart(11)}${String(rs.reduce((n, r) => n + r.errors, 0)).padStart(8)}`);
    }
    print('Loopback on one machine: the load generator shares the CPU with the contenders; compare ratios within a run.');
  } finally {
    for (const c of running) await c.proc?.stop('SIGTERM');
    backend.close();
  }
}
