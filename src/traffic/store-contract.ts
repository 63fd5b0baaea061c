/**
 * The contract every rate-limit store passes, whatever runtime it lives in:
 * only `node:test` and `node:assert`, and time passed in as `now`.
 *
 * `exact` stores (memory, Durable Object) decide by GCRA on the `now` they are
 * given: the whole burst at once, refills at the rate, retry-after and
 * remaining as the algorithm says. Stores that are not exact (the Workers
 * binding: its own clock and window, per location) are held only to what any
 * limiter must do: allow within the limit, refuse past it, keep keys apart,
 * and answer in the verdict's shape.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RateLimitConfig } from './config.ts';
import type { RateLimitStore } from './types.ts';

export interface StoreContractOptions {
  /** The store decides exactly by GCRA at the `now` it is given. */
  exact: boolean;
  /** The limit to test with (default 10 per second, burst 5). A store with a fixed configuration (the binding) names its own. */
  limit?: { limit: number; periodMs: number; burst: number };
}

let unique = 0;

/** Registers the store contract's tests for `make` (a fresh store per test, or one shared: every test uses keys of its own). */
export function runRateLimitStoreTests(name: string, make: () => RateLimitStore | Promise<RateLimitStore>, options: StoreContractOptions): void {
  const shape = options.limit ?? { limit: 10, periodMs: 1000, burst: 5 };
  const limit = (over: Partial<RateLimitConfig> = {}): RateLimitConfig => ({
    name: 'contract',
    key: { by: 'ip' },
    keyText: 'ip',
    store: 'memory',
    binding: '',
    exempt: [],
    headers: false,
    ...shape,
    ...over,
  });
  const key = (what: string) => `contract-${what}-${Date.now().toString(36)}-${unique++}`;
  const T0 = Date.now();

  async function takeN(store: RateLimitStore, l: RateLimitConfig, k: string, n: number, now: number) {
    const out = [];
    for (let i = 0; i < n; i++) out.push(await store.take(l, k, now));
    return out;
  }

  // `take` gets the key's value; the store keeps one count per limit name and value.
  describe(`rate-limit store contract: ${name}`, () => {
    it('says its name and how exact it is', async () => {
      const store = await make();
      assert.ok(['memory', 'edge', 'durable_object'].includes(store.name), store.name);
      assert.ok(['per process', 'per location, approximate', 'exact'].includes(store.exactness), store.exactness);
      if (options.exact) assert.notEqual(store.exactness, 'per location, approximate');
    });

    it('allows within the limit and refuses past it', async () => {
      const store = await make();
      const l = limit();
      const v = await takeN(store, l, key('burst'), options.exact ? l.burst + 3 : l.burst * 3 + 10, T0);
      const allowed = v.filter((x) => x.allowed).length;
      assert.ok(allowed >= 1, 'the first request is allowed');
      assert.ok(v.some((x) => !x.allowed), 'some request past the limit is refused');
      if (options.exact) {
        assert.equal(allowed, l.burst);
        assert.ok(v.slice(0, l.burst).every((x) => x.allowed));
      }
    });

    it('answers in the verdict shape', async () => {
      const store = await make();
      const l = limit();
      for (const x of await takeN(store, l, key('shape'), l.burst * 3 + 10, T0)) {
        assert.equal(typeof x.allowed, 'boolean');
        assert.ok(Number.isFinite(x.retryAfterMs) && x.retryAfterMs >= 0, `retryAfterMs ${x.retryAfterMs}`);
        if (x.allowed) assert.equal(x.retryAfterMs, 0);
        else if (options.exact) assert.ok(x.retryAfterMs > 0);
        if (x.remaining !== undefined) assert.ok(Number.isInteger(x.remaining) && x.remaining >= 0, `remaining ${x.remaining}`);
        if (x.resetMs !== undefined) assert.ok(Number.isFinite(x.resetMs) && x.resetMs >= 0, `resetMs ${x.resetMs}`);
      }
    });

    it('keeps keys apart', async () => {
      const store = await make();
      const l = limit();
      const a = key('a');
      await takeN(store, l, a, l.burst * 3 + 10, T0);
      const other = await store.take(l, key('b'), T0);
      assert.equal(other.allowed, true);
      if (options.exact) assert.equal(other.remaining, l.burst - 1);
    });

    if (!options.exact) return;

    it('counts remaining down and says when the bucket is whole', async () => {
      const store = await make();
      const l = limit();
      const v = await takeN(store, l, key('remaining'), l.burst, T0);
      const intervalMs = l.periodMs / l.limit;
      assert.deepEqual(
        v.map((x) => x.remaining),
        Array.from({ length: l.burst }, (_, i) => l.burst - 1 - i),
      );
      assert.deepEqual(
        v.map((x) => x.resetMs),
        Array.from({ length: l.burst }, (_, i) => Math.ceil((i + 1) * intervalMs)),
      );
    });

    it('refills at the rate, and retryAfterMs is when', async () => {
      const store = await make();
      const l = limit();
      const k = key('refill');
      const intervalMs = l.periodMs / l.limit;
      await takeN(store, l, k, l.burst, T0);
      const refused = await store.take(l, k, T0);
      assert.equal(refused.allowed, false);
      assert.equal(refused.retryAfterMs, Math.ceil(intervalMs));
      assert.equal(refused.remaining, 0);
      assert.equal((await store.take(l, k, T0 + refused.retryAfterMs - 1)).allowed, false);
      assert.equal((await store.take(l, k, T0 + refused.retryAfterMs)).allowed, true);
      assert.equal((await store.take(l, k, T0 + refused.retryAfterMs)).allowed, false);
    });

    it('a key idle for a whole window has its whole burst again', async () => {
      const store = await make();
      const l = limit();
      const k = key('idle');
      await takeN(store, l, k, l.burst + 2, T0);
      const later = T0 + Math.ceil((l.burst * l.periodMs) / l.limit);
      const v = await takeN(store, l, k, l.burst + 1, later);
      assert.equal(v.filter((x) => x.allowed).length, l.burst);
      assert.equal(v[0].remaining, l.burst - 1);
    });

    it('keeps limits apart: one key under two limit names has two buckets', async () => {
      const store = await make();
      const k = key('names');
      await takeN(store, limit({ name: 'contract-a' }), k, shape.burst + 1, T0);
      const b = await store.take(limit({ name: 'contract-b' }), k, T0);
      assert.equal(b.allowed, true);
      assert.equal(b.remaining, shape.burst - 1);
    });

    it('applies each call\'s limit to the key', async () => {
      const store = await make();
      const k = key('limits');
      const wide = limit({ burst: shape.burst * 2 });
      const v = await takeN(store, wide, k, shape.burst * 2 + 1, T0);
      assert.equal(v.filter((x) => x.allowed).length, shape.burst * 2);
    });
  });
}
