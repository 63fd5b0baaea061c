/**
 * The edge rate-limit stores on the real bindings in workerd (Miniflare):
 * the rate-limit binding (store `edge`) and the SwitchyardRateLimiter object
 * (store `durable_object`), called from here through Miniflare's proxies.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Miniflare } from 'miniflare';
import { runRateLimitStoreTests } from '../../src/traffic/store-contract.ts';
import { durableObjectRateLimitStore } from '../../src/traffic/durable-object-store.ts';
import { edgeRateLimitStore } from '../../src/traffic/edge-store.ts';
import type { RateLimitConfig } from '../../src/traffic/config.ts';
import type { RateLimitBinding, RateLimitBindings, RateLimitObjectStub } from '../../src/traffic/types.ts';
import { startMiniflare } from '../fixtures/worker.ts';

/** The binding Miniflare is given here: 5 per minute. */
const EDGE_LIMIT = 5;

const limit = (over: Partial<RateLimitConfig> = {}): RateLimitConfig => ({
  name: 'api',
  key: { by: 'ip' },
  keyText: 'ip',
  limit: 10,
  periodMs: 60_000,
  burst: 10,
  store: 'durable_object',
  binding: '',
  exempt: [],
  headers: false,
  ...over,
});

let mf: Miniflare;
let bindings: RateLimitBindings;
let n = 0;
before(async () => {
  ({ mf } = await startMiniflare({ servers: [], storage: 'memory', health_check: { enabled: false }, log_level: 'error' }, {}, { ratelimits: { SWITCHYARD_RATE_LIMIT: { simple: { limit: EDGE_LIMIT, period: 60 } } } }));
  const env = await mf.getBindings<Record<string, unknown>>();
  const ns = await mf.getDurableObjectNamespace('SWITCHYARD_RATE_LIMITER');
  bindings = {
    edge: (name) => env[name] as RateLimitBinding | undefined,
    durableObject: (name) => ns.get(ns.idFromName(name)) as unknown as RateLimitObjectStub,
  };
});
after(async () => {
  await mf?.dispose();
});

runRateLimitStoreTests('durable_object (workerd)', () => durableObjectRateLimitStore(bindings), { exact: true });
// The binding's limit and period are Miniflare's configuration, not the call's: the contract is told them.
// The contract's limits name no binding: here every name is the one Miniflare binding.
runRateLimitStoreTests('edge (workerd)', () => edgeRateLimitStore({ edge: () => bindings.edge!('SWITCHYARD_RATE_LIMIT') }), { exact: false, limit: { limit: EDGE_LIMIT, periodMs: 60_000, burst: EDGE_LIMIT } });

describe('rate-limit stores on the Workers bindings (workerd)', { timeout: 120_000 }, () => {
  describe('durable_object', () => {
    it('a burst is allowed, then refused until one interval has passed, with remaining, reset and retry-after', async () => {
      const store = durableObjectRateLimitStore(bindings);
      const key = `burst-${++n}`;
      const L = limit({ limit: 10, periodMs: 10_000, burst: 3 }); // one request per second, 3 at once
      const t0 = 1_000_000;
      const verdicts = [];
      for (let i = 0; i < 4; i++) verdicts.push(await store.take(L, key, t0));
      assert.deepEqual(verdicts.map((v) => v.allowed), [true, true, true, false]);
      assert.deepEqual(verdicts.map((v) => v.remaining), [2, 1, 0, 0]);
      assert.equal(verdicts[2].resetMs, 3000, 'whole again after three intervals');
      assert.equal(verdicts[3].retryAfterMs, 1000);
      assert.equal((await store.take(L, key, t0 + 999)).allowed, false);
      assert.equal((await store.take(L, key, t0 + 1000)).allowed, true, 'one request refilled after one interval');
      assert.equal((await store.take(L, key, t0 + 1000)).allowed, false);
    });

    it('is exact: 40 requests at once from two stores (two isolates\' worth) over one key let exactly the burst through', async () => {
      const a = durableObjectRateLimitStore(bindings);
      const b = durableObjectRateLimitStore(bindings);
      const key = `race-${++n}`;
      const L = limit({ limit: 10, periodMs: 3_600_000, burst: 10 });
      const now = Date.now();
      const verdicts = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).take(L, key, now)));
      assert.equal(verdicts.filter((v) => v.allowed).length, 10);
      assert.deepEqual(verdicts.filter((v) => v.allowed).map((v) => v.remaining).sort((x, y) => x! - y!), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'each allowed request saw its own count');
    });

    it('keeps keys and limits apart: one object per limit name and key', async () => {
      const store = durableObjectRateLimitStore(bindings);
      const key = `apart-${++n}`;
      const L = limit({ limit: 1, periodMs: 3_600_000, burst: 1 });
      const now = Date.now();
      assert.equal((await store.take(L, key, now)).allowed, true);
      assert.equal((await store.take(L, key, now)).allowed, false);
      assert.equal((await store.take(L, `${key}-other`, now)).allowed, true, 'another key');
      assert.equal((await store.take({ ...L, name: 'other-limit' }, key, now)).allowed, true, 'the same key under another limit');
    });
  });

  describe('edge', () => {
    it('allows the binding\'s limit per period and refuses the rest with the period as retry-after (per window: at most two windows in 20 calls)', async () => {
      const store = edgeRateLimitStore(bindings);
      const L = limit({ store: 'edge', binding: 'SWITCHYARD_RATE_LIMIT', limit: EDGE_LIMIT, burst: EDGE_LIMIT, periodMs: 60_000 });
      const key = `edge-${++n}`;
      const verdicts = [];
      for (let i = 0; i < 20; i++) verdicts.push(await store.take(L, key, Date.now()));
      const allowed = verdicts.filter((v) => v.allowed).length;
      // The binding counts in fixed windows of the period: 20 quick calls fall in one window, or two if one begins among them.
      assert.ok(allowed >= EDGE_LIMIT && allowed <= 2 * EDGE_LIMIT, `allowed ${allowed}`);
      for (const v of verdicts.filter((x) => !x.allowed)) assert.deepEqual(v, { allowed: false, retryAfterMs: 60_000 });
      for (const v of verdicts.filter((x) => x.allowed)) assert.equal(v.remaining, undefined, 'the binding does not say what remains');
      assert.equal((await store.take(L, `${key}-other`, Date.now())).allowed, true, 'another key has its own count');
    });

    it('check finds the binding the limit names, and names one the Worker lacks', () => {
      const store = edgeRateLimitStore(bindings);
      store.check!(limit({ store: 'edge', binding: 'SWITCHYARD_RATE_LIMIT' }));
      assert.throws(() => store.check!(limit({ store: 'edge', binding: 'NO_SUCH_BINDING' })), /needs the NO_SUCH_BINDING rate-limit binding/);
    });
  });
});
