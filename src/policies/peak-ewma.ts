/**
 * A peak-EWMA estimate of one backend's time to response headers (Finagle's
 * and Linkerd's PeakEwma): a slower sample is taken at once, a faster one is
 * blended in by the time since the sample before. Pure: state in, state out,
 * time passed in.
 */

/** The estimate as of its last sample. */
export interface LatencyEstimate {
  /** The estimate (ms) at `at`. */
  readonly ms: number;
  /** When the last sample was taken (ms, the balancer's clock); -Infinity: never. */
  readonly at: number;
}

/** Nothing measured yet. */
export const UNMEASURED: LatencyEstimate = { ms: 0, at: -Infinity };

/** The decay time constant: old information weighs e^(-age / 10 s) (Finagle's default decay time). */
export const DECAY_MS = 10_000;

/**
 * The estimate after a sample of `ms` at `now`. The first sample, and any
 * sample above the estimate (the peak), is taken as it is; a lower one moves
 * the estimate toward it by 1 − e^(-gap / DECAY_MS).
 */
export function withSample(e: LatencyEstimate, ms: number, now: number): LatencyEstimate {
  if (e.at === -Infinity || ms > e.ms) return { ms, at: now };
  const w = Math.exp(-(now - e.at) / DECAY_MS);
  return { ms: e.ms * w + ms * (1 - w), at: now };
}
