import type { PolicyFactory } from './types.ts';
import { weightedSampler } from './weighted.ts';

/** A weighted random backend. */
export const random: PolicyFactory = (backends, options) => {
  const sampler = weightedSampler(backends, options.random);
  return { pick: (_ctx, accept) => sampler.drawAccepted(accept) };
};
