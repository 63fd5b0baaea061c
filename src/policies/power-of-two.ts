import type { PolicyFactory } from './types.ts';
import { weightedSampler } from './weighted.ts';

/**
 * Power of two choices (Envoy's least-request, HAProxy's `random(2)`): two
 * weighted random backends; the one with fewer in-flight requests per weight wins.
 */
export const powerOfTwo: PolicyFactory = (backends, { load, random }) => {
  const sampler = weightedSampler(backends, random);
  return {
    pick(_ctx, accept) {
      const a = sampler.drawAccepted(accept);
      if (!a) return undefined;
      const b = sampler.drawAccepted(accept, a);
      if (!b) return a;
      return load.inFlight(b.id) / b.weight < load.inFlight(a.id) / a.weight ? b : a;
    },
  };
};
