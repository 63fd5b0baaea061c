/**
 * `npm run bench` (the policy micro-benchmarks, then the proxies), `npm run bench -- policies`,
 * `npm run bench -- proxy`. Proxy flags: `--quick` (about a minute), `--json FILE` (default
 * bench/results/latest.json), `--only ID,ID` (contender ids, e.g. `bun-floor,switchyard-bun`).
 * BENCH_SECONDS, BENCH_ROUNDS, BENCH_WARMUP, BENCH_CONNECTIONS override the timings;
 * BENCH_LOAD=autocannon and BENCH_BACKENDS=node pick the fallbacks even where wrk and nginx exist.
 */
import { resolve } from 'node:path';
import { runPolicyBench } from './policies.ts';
import { contenders } from './proxy/contenders.ts';
import { proxyOptions, runProxyBench, type ProxyBenchOptions } from './proxy.ts';

function parse(argv: string[]): { which: 'all' | 'policies' | 'proxy'; opts: ProxyBenchOptions } {
  let which: 'all' | 'policies' | 'proxy' = 'all';
  const rest = [...argv];
  if (rest[0] === 'policies' || rest[0] === 'proxy') which = rest.shift() as 'policies' | 'proxy';
  const opts = proxyOptions(rest.includes('--quick'));
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    if (flag === '--quick') continue;
    const value = rest[i + 1];
    if (flag !== '--json' && flag !== '--only') throw new Error(`unknown argument ${JSON.stringify(flag)} (expected policies, proxy, --quick, --json FILE, --only ID,ID)`);
    if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value`);
    i++;
    if (flag === '--json') opts.jsonPath = resolve(value);
    else {
      const ids = contenders().map((c) => c.id);
      opts.only = value.split(',').filter(Boolean);
      const unknown = opts.only.filter((id) => !ids.includes(id));
      if (unknown.length) throw new Error(`--only: ${unknown.map((u) => JSON.stringify(u)).join(', ')} is not a contender (one of ${ids.join(', ')})`);
    }
  }
  return { which, opts };
}

let parsed: ReturnType<typeof parse>;
try {
  parsed = parse(process.argv.slice(2));
} catch (e) {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(2);
}
if (parsed.which !== 'proxy') runPolicyBench();
if (parsed.which !== 'policies') {
  if (parsed.which !== 'proxy') console.log('');
  await runProxyBench(parsed.opts);
}
