import type { Backend } from '../core/types.ts';
import type { LoadView, PolicyFactory } from './types.ts';
import { weightedSampler } from './weighted.ts';

/** Peak-EWMA cost (Linkerd/Finagle): latency × (in-flight + 1) per weight; unmeasured is cheapest. */
function cost(load: LoadView, b: Backend): number {
  return (load.latencyMs(b.id) * (load.inFlight(b.id) + 1)) / b.weight;
}

/** Two weighted random backends; the lower peak-EWMA cost wins. O(log n) per pick. */
export const leastResponseTime: PolicyFactory = (backends, { load, random }) => {
  const sampler = weightedSampler(backends, random);
  return {
    pick(_ctx, accept) {
      const a = sampler.drawAccepted(accept);
      if (!a) return undefined;
      const b = sampler.drawAccepted(accept, a);
      if (!b) return a;
      return cost(load, b) < cost(load, a) ? b : a;
    },
  };
};
