/** Nanoseconds per pick for every policy at 3, 100 and 1,000 servers, equal and mixed weights. */
import { policies } from '../src/policies/registry.ts';
import { backends, ctx, options } from '../src/policies/fixtures.ts';
import type { Algorithm } from '../src/policies/registry.ts';

const SIZES = [3, 100, 1000];
const PICKS = 200_000;
const always = () => true;

function measure(algorithm: Algorithm, n: number, mixed: boolean): number {
  const weights = Array.from({ length: n }, (_, i) => (mixed ? (i % 5) + 1 : 1));
  const list = backends(weights);
  const opts = options({}, 7);
  // In-flight counts vary so load-aware policies do real comparisons.
  list.forEach((b, i) => (opts.load as unknown as { flights: Map<string, number> }).flights.set(b.id, i % 7));
  const policy = policies[algorithm](list, opts);
  const contexts = Array.from({ length: 1024 }, (_, i) => ctx(`/item/${i}`, `198.51.${(i >> 8) & 255}.${i & 255}`));
  for (let i = 0; i < 20_000; i++) policy.pick(contexts[i & 1023], always); // warm up
  const t0 = performance.now();
  for (let i = 0; i < PICKS; i++) policy.pick(contexts[i & 1023], always);
  return ((performance.now() - t0) * 1e6) / PICKS;
}

export function runPolicyBench(print: (line: string) => void = console.log): void {
  const header = ['policy', ...SIZES.flatMap((n) => [`${n} eq`, `${n} mixed`])];
  const rows: string[][] = [];
  for (const name of Object.keys(policies) as Algorithm[]) {
    const row: string[] = [name];
    for (const n of SIZES) {
      for (const mixed of [false, true]) {
        const ns = measure(name, n, mixed);
        row.push(`${ns.toFixed(0)}${n === 1000 && ns > 1000 ? ' *' : ''}`);
      }
    }
    rows.push(row);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  print(`ns per pick (${PICKS.toLocaleString()} picks after warm-up; eq = equal weights, mixed = weights 1-5; * = above 1 µs at 1,000 servers)`);
  print(line(header));
  for (const r of rows) print(line(r));
}
