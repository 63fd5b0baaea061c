import type { Backend } from '../core/types.ts';
import type { PolicyFactory } from './types.ts';

/** Largest schedule precomputed for integer weights (picks per period). */
const MAX_SCHEDULE = 1 << 20;

/** One step of nginx's smooth weighted round robin over the backends `accept` allows. */
function swrrStep(backends: readonly Backend[], current: Float64Array, accept: (b: Backend) => boolean): number {
  let best = -1;
  let total = 0;
  for (let i = 0; i < backends.length; i++) {
    const b = backends[i];
    if (!accept(b)) continue;
    current[i] += b.weight;
    total += b.weight;
    if (best < 0 || current[i] > current[best]) best = i;
  }
  if (best >= 0) current[best] -= total;
  return best;
}

/**
 * nginx's smooth weighted round robin: each pick adds every accepted backend's
 * weight to its current weight, takes the largest, and subtracts the accepted
 * total from it. Weights 1,1,2 give the weight-2 backend 2 picks of every 4,
 * spread out (`s3 s1 s2 s3`, then again: at most twice in a row).
 *
 * For integer weights the whole period is precomputed, so a pick is O(1); a
 * slot whose backend is refused is served by a separate smooth round over the
 * accepted ones, which keeps every accepted backend at exactly its weight's
 * share. Equal weights use a rotating index.
 */
export const roundRobin: PolicyFactory = (backends) => {
  const n = backends.length;
  const equal = backends.every((b) => b.weight === backends[0].weight);
  const total = backends.reduce((s, b) => s + b.weight, 0);
  const integral = backends.every((b) => Number.isInteger(b.weight)) && total <= MAX_SCHEDULE;
  let schedule: Int32Array | undefined;
  let pos = 0;
  const fallback = new Float64Array(n);
  let next = 0;

  function build(): Int32Array {
    const current = new Float64Array(n);
    const out = new Int32Array(total);
    for (let k = 0; k < total; k++) out[k] = swrrStep(backends, current, () => true);
    return out;
  }

  return {
    pick(_ctx, accept) {
      if (n === 0) return undefined;
      if (equal) {
        for (let i = 0; i < n; i++) {
          const b = backends[(next + i) % n];
          if (accept(b)) {
            next = (next + i + 1) % n;
            return b;
          }
        }
        return undefined;
      }
      if (integral) {
        schedule ??= build();
        const b = backends[schedule[pos]];
        pos = pos + 1 === total ? 0 : pos + 1;
        if (accept(b)) return b;
      }
      const i = swrrStep(backends, fallback, accept);
      return i < 0 ? undefined : backends[i];
    },
  };
};
