import type { UpstreamErrorKind } from './types.ts';

/** Methods RFC 9110 §9.2.2 calls idempotent (plus the safe ones). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export function isIdempotent(method: string, headers?: Headers): boolean {
  return IDEMPOTENT.has(method) || (headers?.has('idempotency-key') ?? false);
}

/** What a retry is tried for beyond connect errors (config `retry_on`). */
export interface RetryOn {
  reset: boolean;
  timeout: boolean;
  statuses: number[];
}

export interface RetryInput {
  method: string;
  /** The request carries `Idempotency-Key`, so the client made it safe to repeat. */
  idempotencyKey: boolean;
  /**
   * How the attempt ended: an error kind, the status the server answered,
   * `no_server` when no server could take it, `client_gone` when the client left.
   */
  failure: UpstreamErrorKind | number | 'no_server' | 'client_gone';
  retryOn: RetryOn;
  /** Attempts made so far, including the one that just failed (≥ 1). */
  attempts: number;
  /** Most attempts allowed in all (retries + 1). */
  maxAttempts: number;
  /** Time spent on this request so far, and the limit (0: none). */
  elapsedMs: number;
  tryDurationMs: number;
  /** The request body can be sent again (none, or buffered within the replay limit). */
  replayable: boolean;
  /** Another server remains that was not tried yet. */
  untriedLeft: boolean;
  /** The retry budget has room for one more retry now. */
  budgetLeft: boolean;
}

export interface RetryDecision {
  retry: boolean;
  /** Why not (for the error body and logs); empty when retrying. */
  reason: string;
}

const yes: RetryDecision = { retry: true, reason: '' };
const no = (reason: string): RetryDecision => ({ retry: false, reason });

/**
 * Whether an attempt's outcome is tried again on another server: the only
 * retry decision, and the one source of every "not retried" reason.
 * - A status not in `retry_on.statuses` stands as the answer (no reason).
 * - `no_server` or `client_gone`: nothing to retry.
 * - `connect`: the request never reached a server: retried for any method.
 * - `reset`, `timeout`, a status in `retry_on.statuses`: the server may have
 *   acted on it, so only for idempotent methods (or with `Idempotency-Key`),
 *   and only when `retry_on` lists it.
 * Never when attempts or `try_duration` are used up, no untried server is
 * left, the body cannot be replayed, or the retry budget is spent.
 */
export function shouldRetry(i: RetryInput): RetryDecision {
  const f = i.failure;
  if (typeof f === 'number' && !i.retryOn.statuses.includes(f)) return no('');
  if (f === 'client_gone') return no('the client went away');
  if (f === 'no_server') return no(i.attempts > 1 ? 'no other server left to try' : 'no server available');
  if (f === 'protocol') return no('not retried: the server sent an invalid response');
  if (f === 'reset' && !i.retryOn.reset) return no('not retried: retry_on does not list reset');
  if (f === 'timeout' && !i.retryOn.timeout) return no('not retried: retry_on does not list timeout');
  if (f !== 'connect' && !IDEMPOTENT.has(i.method) && !i.idempotencyKey) {
    return no(`not retried: ${i.method} is not idempotent and may have reached the server`);
  }
  if (!i.replayable) return no('not retried: the request body is larger than the replay buffer');
  if (i.attempts >= i.maxAttempts) return no(`retries exhausted (${i.maxAttempts - 1})`);
  if (i.tryDurationMs > 0 && i.elapsedMs >= i.tryDurationMs) return no(`try_duration (${i.tryDurationMs} ms) used up`);
  if (!i.untriedLeft) return no('no other server left to try');
  if (!i.budgetLeft) return no('not retried: the retry budget is used up');
  return yes;
}

/** Delay before retry number `n` (1-based): exponential from `baseMs`, capped at `maxMs`, full jitter. */
export function backoffMs(n: number, baseMs: number, maxMs: number, random: () => number): number {
  if (baseMs <= 0) return 0;
  return Math.min(maxMs, baseMs * 2 ** (n - 1)) * random();
}
