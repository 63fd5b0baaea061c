import type { Backend } from '../core/types.ts';
import type { LoadView, PolicyFactory } from './types.ts';
import { weightedSampler } from './weighted.ts';

/** The latency taken for a backend whose latency is unknown while a request to it is still waiting: above any real one. */
const UNKNOWN_BUSY_MS = 1e12;

/**
 * Costs within this fraction of each other are a tie. Latency noise between
 * like servers (and an estimate decayed a little longer than another's) must
 * not decide: P2C gives every pairing to the cheaper one, however slightly
 * cheaper, which would pull shares toward equal whatever the weights.
 */
const TIE = 0.1;

/**
 * Peak-EWMA latency × (in-flight per unit of weight + 1), or `undefined`
 * when the latency is unknown (never measured, or not lately) and nothing to
 * the backend awaits its response headers. Weight enters only through the
 * load term: backends with the same latency, each with in-flight requests in
 * proportion to its weight, cost the same, so the weighted draw alone sets
 * their shares (weights count once). Unknown with a request waiting costs
 * more than any measured backend (Finagle's penalty), so a backend is probed
 * by one request at a time.
 */
export function cost(load: LoadView, b: Backend): number | undefined {
  const perWeight = load.inFlight(b.id) / b.weight + 1;
  const latency = load.latencyMs(b.id);
  if (latency === undefined) return load.awaiting(b.id) > 0 ? UNKNOWN_BUSY_MS * perWeight : undefined;
  return latency * perWeight;
}

/**
 * Least response time: two weighted random backends (power of two choices);
 * the second wins only when it costs clearly less (see TIE), so on identical
 * backends each gets its weight's share. A pairing with an unknown, idle
 * backend is a tie too: the first drawn takes it, so a backend whose estimate
 * went stale gets its probe request at its weight's rate, never more, and
 * then competes on what the probe measured. O(log n) per pick.
 */
export const leastResponseTime: PolicyFactory = (backends, { load, random }) => {
  const sampler = weightedSampler(backends, random);
  return {
    pick(_ctx, accept) {
      const a = sampler.drawAccepted(accept);
      if (!a) return undefined;
      const b = sampler.drawAccepted(accept, a);
      if (!b) return a;
      const ca = cost(load, a);
      const cb = cost(load, b);
      if (ca === undefined || cb === undefined) return a;
      return cb < ca * (1 - TIE) ? b : a;
    },
  };
};
