import { isDue, nextRoundAt, ROUND_CEILING_MS } from './schedule.ts';

/** What the timer drives: a balancer, as far as its health rounds go. */
export interface RoundSource {
  /** The earliest due periodic check (epoch ms; -Infinity: one is due now; Infinity: none). */
  nextCheckAt(): number;
  /** One round of the checks that are due. */
  tick(): Promise<unknown>;
}

export interface HealthTimerDeps {
  /** Epoch milliseconds. */
  now: () => number;
  setTimeout: (run: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
  /** A round that threw (the timer goes on). */
  onError: (error: unknown) => void;
  /** Longest wait between two looks (default `ROUND_CEILING_MS`). */
  ceilingMs?: number;
}

/**
 * Runs health rounds until stopped: each when the earliest check is due (see
 * `nextRoundAt`), one round at a time, looking again at least every
 * `ceilingMs` so services added at run time are picked up.
 */
export function startHealthTimer(source: RoundSource, deps: HealthTimerDeps): { stop(): void } {
  let handle: unknown;
  let stopped = false;
  const run = async () => {
    if (stopped) return;
    try {
      if (isDue(source.nextCheckAt(), deps.now())) await source.tick();
    } catch (e) {
      deps.onError(e);
    }
    if (stopped) return;
    const now = deps.now();
    const ceiling = deps.ceilingMs ?? ROUND_CEILING_MS;
    let at = now + ceiling;
    try {
      at = nextRoundAt(source.nextCheckAt(), now, ceiling);
    } catch (e) {
      deps.onError(e);
    }
    handle = deps.setTimeout(() => void run(), at - now);
  };
  void run();
  return {
    stop() {
      stopped = true;
      deps.clearTimeout(handle);
    },
  };
}
