/**
 * The IETF rate-limit headers (draft-ietf-httpapi-ratelimit-headers):
 * `RateLimit-Policy: "NAME";q=QUOTA;w=WINDOW` and `RateLimit: "NAME";r=REMAINING;t=RESET`,
 * both structured-field lists (several limits append), and `Retry-After` on a 429.
 */
import type { RateLimitConfig } from './config.ts';
import type { RateVerdict } from './types.ts';

/** A limit name as a structured-field string (names are `[A-Za-z0-9_.:-]`, but quote and backslash escape anyway). */
const sfString = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * The policy's quota and window: `q` is the burst, `w` the seconds the whole
 * burst takes to refill at the rate (whole seconds, at least 1: the draft's
 * window is an integer), so `q/w` is the rate when the burst refills in whole
 * seconds (10/s burst 20: q=20;w=2).
 */
export function policyWindowS(limit: Pick<RateLimitConfig, 'limit' | 'periodMs' | 'burst'>): number {
  return Math.max(1, Math.ceil((limit.burst * limit.periodMs) / limit.limit / 1000 - 1e-9));
}

/** `RateLimit-Policy`'s value for `limit`. */
export function rateLimitPolicy(limit: RateLimitConfig): string {
  return `${sfString(limit.name)};q=${limit.burst};w=${policyWindowS(limit)}`;
}

/**
 * `RateLimit`'s value for a verdict: `r` what the key may still send at once,
 * `t` seconds (rounded up) until its allowance is whole. What the store cannot
 * tell is left out (the edge binding knows neither; a refusal is `r=0`).
 */
export function rateLimitState(limit: RateLimitConfig, v: RateVerdict): string {
  const remaining = v.remaining ?? (v.allowed ? undefined : 0);
  let out = sfString(limit.name);
  if (remaining !== undefined) out += `;r=${remaining}`;
  if (v.resetMs !== undefined) out += `;t=${Math.ceil(v.resetMs / 1000)}`;
  return out;
}

/** `Retry-After` in whole seconds, at least 1. */
export const retryAfterS = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/** The header pairs a verdict of `limit` carries: policy and state (and `Retry-After` when refused). */
export function rateLimitHeaders(limit: RateLimitConfig, v: RateVerdict): Array<readonly [string, string]> {
  const out: Array<readonly [string, string]> = [
    ['ratelimit-policy', rateLimitPolicy(limit)],
    ['ratelimit', rateLimitState(limit, v)],
  ];
  if (!v.allowed) out.push(['retry-after', String(retryAfterS(v.retryAfterMs))]);
  return out;
}
