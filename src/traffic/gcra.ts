/**
 * The generic cell rate algorithm: a token bucket kept as one number per key,
 * the theoretical arrival time (TAT). Pure: every store (this process's
 * memory, a Durable Object, later Redis) decides with it.
 */
import type { RateVerdict } from './types.ts';

/** `limit` requests per `periodMs`, `burst` of them at once. */
export interface GcraLimit {
  limit: number;
  periodMs: number;
  burst: number;
}

/**
 * Floating-point slack: epoch milliseconds near 1.7e12 carry about 2.4e-4 ms
 * of precision, and an emission interval such as 1000/7 ms is not exact, so a
 * TAT advanced by it drifts a few units of that per request. Comparisons allow
 * 10 microseconds rather than refuse a request that arrived on time.
 */
const EPSILON_MS = 1e-2;

/**
 * Decides one request of a key under `limit` at `now` (epoch ms). `tat` is the
 * key's theoretical arrival time from the previous decision (undefined for a
 * key never seen, or forgotten: both are a whole bucket). Returns the verdict
 * and the TAT to keep (unchanged when refused). `remaining`: requests the key
 * may still make at once; `resetMs`: until the bucket is whole again;
 * `retryAfterMs`: until the next request would be allowed (0 when allowed).
 */
export function gcra(tat: number | undefined, limit: GcraLimit, now: number): { verdict: RateVerdict; tat: number } {
  const intervalMs = limit.periodMs / limit.limit;
  const toleranceMs = limit.burst * intervalMs;
  const base = tat === undefined || tat < now ? now : tat;
  const next = base + intervalMs;
  const allowAt = next - toleranceMs;
  if (allowAt > now + EPSILON_MS) {
    return {
      verdict: { allowed: false, remaining: 0, resetMs: Math.ceil(base - now - EPSILON_MS), retryAfterMs: Math.ceil(allowAt - now - EPSILON_MS) },
      tat: base,
    };
  }
  const remaining = Math.max(0, Math.floor((now + toleranceMs - next + EPSILON_MS) / intervalMs));
  return { verdict: { allowed: true, remaining, resetMs: Math.ceil(next - now - EPSILON_MS), retryAfterMs: 0 }, tat: next };
}

/** Whether a key whose TAT is `tat` has a whole bucket at `now` (its state carries no information and may be forgotten). */
export const gcraWhole = (tat: number | undefined, now: number): boolean => tat === undefined || tat <= now;
