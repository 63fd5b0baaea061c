import type { Backend } from '../core/types.ts';
import type { PolicyFactory } from './types.ts';

/** Fewest in-flight requests per unit of weight; the scan starts at a rotating offset so ties rotate. */
export const leastConnections: PolicyFactory = (backends, { load }) => {
  const n = backends.length;
  let offset = 0;
  return {
    pick(_ctx, accept) {
      let best: Backend | undefined;
      let bestScore = Infinity;
      for (let i = 0; i < n; i++) {
        const b = backends[(offset + i) % n];
        if (!accept(b)) continue;
        const score = load.inFlight(b.id) / b.weight;
        if (score < bestScore) {
          best = b;
          bestScore = score;
        }
      }
      offset = (offset + 1) % Math.max(n, 1);
      return best;
    },
  };
};
