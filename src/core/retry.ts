import type { UpstreamErrorKind } from './types.ts';

/** Methods RFC 9110 §9.2.2 calls idempotent (plus the safe ones). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export function isIdempotent(method: string, headers?: Headers): boolean {
  return IDEMPOTENT.has(method) || (headers?.has('idempotency-key') ?? false);
}

export interface RetryInput {
  method: string;
  /** The request carries `Idempotency-Key`, so the client made it safe to repeat. */
  idempotencyKey: boolean;
  failure: UpstreamErrorKind;
  /** Attempts made so far, including the one that just failed (≥ 1). */
  attempts: number;
  /** Most attempts allowed in all (retries + 1). */
  maxAttempts: number;
  /** The request body can be sent again (none, or buffered within the replay limit). */
  replayable: boolean;
  /** Another server remains that was not tried yet. */
  untriedLeft: boolean;
}

/**
 * Whether a failed attempt is tried again on another server.
 * - `connect`: the request never reached a backend, so any method is retried.
 * - `reset`, `timeout`, `protocol`: the backend may have acted on it, so only
 *   idempotent methods (or requests with an `Idempotency-Key`) are retried.
 * Never when attempts are used up, no untried server is left, or the body
 * cannot be replayed.
 */
export function shouldRetry(i: RetryInput): boolean {
  if (i.attempts >= i.maxAttempts || !i.untriedLeft || !i.replayable) return false;
  if (i.failure === 'connect') return true;
  return IDEMPOTENT.has(i.method) || i.idempotencyKey;
}
