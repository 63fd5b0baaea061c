import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import type { RateLimitConfig } from './config.ts';
import { DEFAULT_MAX_KEYS, memoryRateLimitStore } from './memory-store.ts';
import { runRateLimitStoreTests } from './store-contract.ts';

runRateLimitStoreTests('memory', () => memoryRateLimitStore(), { exact: true });
runRateLimitStoreTests('memory (one store shared by every test, 3 keys at most)', (() => {
  const shared = memoryRateLimitStore({ maxKeys: 3 });
  return () => shared;
})(), { exact: true });

const limit: RateLimitConfig = { name: 'l', key: { by: 'ip' }, keyText: 'ip', limit: 10, periodMs: 1000, burst: 2, store: 'memory', binding: '', exempt: [], headers: false };
const T0 = 1_700_000_000_000;

/** A full GC where the process allows one (`--expose-gc`, else turned on here), so heap samples are comparable. */
function gc(): void {
  let collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}

describe('memoryRateLimitStore bounds', () => {
  it('keeps at most maxKeys keys, the least recently used going first', () => {
    const store = memoryRateLimitStore({ maxKeys: 3 });
    for (const k of ['a', 'b', 'c']) store.take(limit, k, T0);
    store.take(limit, 'a', T0); // a is now the most recent
    store.take(limit, 'd', T0); // b (oldest, and not whole) goes
    assert.equal(store.size, 3);
    // a, c, d were remembered: their second request in the same instant leaves 0.
    for (const k of ['c', 'd']) assert.equal(store.take(limit, k, T0).remaining, 0, k);
    // b was forgotten: it starts whole again.
    assert.equal(store.take(limit, 'b', T0).remaining, 1);
  });

  it('drops keys whose bucket is whole again before one still counting', () => {
    const store = memoryRateLimitStore({ maxKeys: 3 });
    store.take(limit, 'old-whole', T0); // whole again 100 ms later
    store.take(limit, 'busy', T0 + 1000);
    store.take(limit, 'busy', T0 + 1000);
    store.take(limit, 'other', T0 + 1000);
    store.take(limit, 'new', T0 + 1000);
    assert.equal(store.size, 3);
    assert.equal(store.take(limit, 'busy', T0 + 1000).allowed, false, 'busy kept its count');
  });

  it('defaults to 100,000 keys', () => {
    assert.equal(memoryRateLimitStore().maxKeys, DEFAULT_MAX_KEYS);
    assert.equal(DEFAULT_MAX_KEYS, 100_000);
  });

  it('a million distinct keys leave it at its bound and the heap bounded', () => {
    const maxKeys = 10_000;
    const store = memoryRateLimitStore({ maxKeys });
    const run = (from: number, to: number) => {
      for (let i = from; i < to; i++) store.take(limit, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}-${i}`, T0 + i / 1000);
    };
    // Fill to the bound, then measure the heap while another million keys pass through.
    run(0, maxKeys * 2);
    gc();
    const base = process.memoryUsage().heapUsed;
    const samples: number[] = [];
    for (let step = 0; step < 10; step++) {
      run(maxKeys * 2 + step * 100_000, maxKeys * 2 + (step + 1) * 100_000);
      assert.equal(store.size, maxKeys);
      gc();
      samples.push(process.memoryUsage().heapUsed - base);
    }
    // 10,000 short keys are about 1 MB; a store that kept every key would grow by ~100 MB here.
    const growthMb = Math.max(...samples) / 1e6;
    assert.ok(growthMb < 20, `heap grew ${growthMb.toFixed(1)} MB over a million keys (samples ${samples.map((s) => (s / 1e6).toFixed(1)).join(', ')} MB)`);
  });
});
