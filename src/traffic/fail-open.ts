/**
 * How a store across the network fails: open. While its calls keep failing,
 * requests are allowed; the first failure of an outage is logged (warn), the
 * rest only counted, and the first answer after it is logged (info) with how
 * many requests went through uncounted.
 */
import { createLogger, type Logger } from '../core/log.ts';
import type { RateVerdict } from './types.ts';

/** The verdict of a store that could not answer: allowed, nothing known. */
export const FAILED_OPEN: RateVerdict = Object.freeze({ allowed: true, retryAfterMs: 0 });

/** One store's outage bookkeeping. */
export interface FailOpen {
  /** Requests allowed because the store could not answer, since it was built. */
  readonly failedOpen: number;
  /** Records a failed call (logged when it starts an outage); returns the verdict to use. */
  failed(limit: string, error: unknown): RateVerdict;
  /** Records an answered call (ends an outage, logged). */
  answered(limit: string): void;
}

/** The default log for stores built without one: warnings and above, on the console. */
export const storeLog = (): Logger => createLogger('warn');

/** Outage bookkeeping for the store `store` (its config name), logging to `log`. */
export function failOpen(store: string, log: Logger): FailOpen {
  let total = 0;
  let outage = 0;
  return {
    get failedOpen() {
      return total;
    },
    failed(limit, error) {
      total++;
      if (outage++ === 0) {
        log.warn(`rate-limit store "${store}" did not answer: allowing requests uncounted until it does`, { limit, error: error instanceof Error ? error.message : String(error) });
      }
      return FAILED_OPEN;
    },
    answered(limit) {
      if (outage === 0) return;
      log.info(`rate-limit store "${store}" answers again`, { limit, failed_open: outage });
      outage = 0;
    },
  };
}
