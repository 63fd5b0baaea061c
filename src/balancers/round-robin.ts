import type { Backend } from '../core/types.ts';
import type { PolicyFactory } from './types.ts';

/**
 * nginx's smooth weighted round robin: each pick adds every accepted backend's
 * weight to its current weight, takes the largest, and subtracts the accepted
 * total from it. Weights 1,1,2 give the weight-2 backend every other pick.
 * Equal weights take an O(1) rotating index instead.
 */
export const roundRobin: PolicyFactory = (backends) => {
  const n = backends.length;
  const equal = backends.every((b) => b.weight === backends[0].weight);
  const current = new Float64Array(n);
  let next = 0;
  return {
    pick(_ctx, accept) {
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
      let best = -1;
      let total = 0;
      for (let i = 0; i < n; i++) {
        const b = backends[i];
        if (!accept(b)) continue;
        current[i] += b.weight;
        total += b.weight;
        if (best < 0 || current[i] > current[best]) best = i;
      }
      if (best < 0) return undefined;
      current[best] -= total;
      return backends[best] as Backend;
    },
  };
};
