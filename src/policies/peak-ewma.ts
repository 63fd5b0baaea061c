/**
 * A peak-EWMA estimate of one backend's time to response headers (Finagle's
 * and Linkerd's PeakEwma): a slower sample is taken at once, a faster one is
 * blended in by the time since the sample before, and between samples the
 * estimate decays toward 0 ("unknown, so worth trying"). Pure: state in,
 * state out, time passed in.
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
 * A backend with no sample for this long is unknown again: the next sample
 * replaces the old estimate, so a server that was slow once is measured
 * afresh (with one probe request) instead of being avoided for as long as
 * its old estimate takes to decay.
 */
export const STALE_AFTER_MS = 2_000;

/** The estimate at `now`, decayed since its last sample; `undefined` when unknown (never measured, or no sample for STALE_AFTER_MS). */
export function estimateAt(e: LatencyEstimate, now: number): number | undefined {
  const age = now - e.at;
  if (!(age < STALE_AFTER_MS)) return undefined;
  return e.ms * Math.exp(-Math.max(0, age) / DECAY_MS);
}

/**
 * The estimate after a sample of `ms` at `now`. The first sample after
 * unknown, and any sample above the decayed estimate (the peak), is taken as
 * it is; a lower one moves the estimate toward it by 1 − e^(-gap / DECAY_MS).
 */
export function withSample(e: LatencyEstimate, ms: number, now: number): LatencyEstimate {
  const current = estimateAt(e, now);
  if (current === undefined || ms >= current) return { ms, at: now };
  return { ms: current + ms * (1 - Math.exp(-Math.max(0, now - e.at) / DECAY_MS)), at: now };
}
