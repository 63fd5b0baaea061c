import { DurableObject, type DurableObjectState } from 'cloudflare:workers';
import { gcra, gcraWhole, type GcraLimit } from '../src/traffic/gcra.ts';
import type { RateLimitObjectStub, RateVerdict } from '../src/traffic/types.ts';
import type { Env } from './env.ts';

/**
 * How long after its bucket is whole again a key is forgotten. The slack keeps
 * the deletion clear of the callers' clock (the `now` a take is given) running
 * apart from this object's, as an injected clock in a test does.
 */
const FORGET_AFTER_MS = 60_000;

/**
 * The counts of one rate limit's key (store `durable_object`; one object per
 * limit and key, by `idFromName`): every request of the key is decided here,
 * by GCRA, so the limit is exact however many isolates and locations serve it.
 *
 * The key's one number (its theoretical arrival time) is kept in the object's
 * storage, so an evicted object comes back with it. Once the bucket is whole
 * again it carries no information: an alarm deletes it a minute after that,
 * so keys seen once leave nothing behind.
 */
export class SwitchyardRateLimiter extends DurableObject<Env> implements RateLimitObjectStub {
  private tat: number | undefined;
  /** The callers' clock minus this object's (0 at the edge; tests inject their own `now`). */
  private offsetMs = 0;
  private armed = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      this.tat = await ctx.storage.get<number>('tat');
      this.armed = (await ctx.storage.getAlarm()) !== null;
    });
  }

  /** Spends one request of the key's allowance at `now` (the caller's clock, epoch ms), if it has one. */
  async take(limit: GcraLimit, now: number): Promise<RateVerdict> {
    // Decided before the first await: the object's input gate makes each take whole.
    const { verdict, tat } = gcra(this.tat, limit, now);
    if (!verdict.allowed) return verdict;
    this.tat = tat;
    this.offsetMs = now - Date.now();
    // Not awaited: the output gate holds the answer until the write is durable.
    void this.ctx.storage.put('tat', tat);
    if (!this.armed) {
      this.armed = true;
      void this.ctx.storage.setAlarm(tat - this.offsetMs + FORGET_AFTER_MS);
    }
    return verdict;
  }

  /** Forgets the key a minute after its bucket is whole again, else looks again then. */
  async alarm(): Promise<void> {
    const tat = this.tat;
    if (tat === undefined || gcraWhole(tat + FORGET_AFTER_MS, Date.now() + this.offsetMs)) {
      this.tat = undefined;
      this.armed = false;
      await this.ctx.storage.deleteAll();
      return;
    }
    await this.ctx.storage.setAlarm(tat - this.offsetMs + FORGET_AFTER_MS);
  }
}
