/**
 * The `memory` rate-limit store: this process's buckets, one theoretical
 * arrival time per key (GCRA), in a bounded least-recently-used table.
 */
import { gcra, gcraWhole } from './gcra.ts';
import type { RateLimitConfig } from './config.ts';
import { STORE_EXACTNESS, type RateLimitStore, type RateVerdict } from './types.ts';

/** Keys a memory store keeps unless told otherwise: about 10 MB of short keys. */
export const DEFAULT_MAX_KEYS = 100_000;

/** Entries looked at, oldest first, for whole buckets to drop before the oldest partial one goes. */
const SWEEP = 32;

export interface MemoryRateLimitStore extends RateLimitStore {
  /** Keys held now (never more than `maxKeys`). */
  readonly size: number;
  readonly maxKeys: number;
  /** Synchronous: no microtask per request. */
  take(limit: RateLimitConfig, key: string, now: number): RateVerdict;
}

/**
 * A synchronous store in this process (`exactness: 'per process'`), one
 * bucket per limit name and key. At most
 * `maxKeys` keys (default 100,000): past that, keys whose bucket is whole
 * again go first (they carry no information), else the least recently used
 * key is forgotten, which only lets that key start again with a whole bucket.
 */
export function memoryRateLimitStore(options: { maxKeys?: number } = {}): MemoryRateLimitStore {
  const maxKeys = Math.max(1, Math.floor(options.maxKeys ?? DEFAULT_MAX_KEYS));
  // A list in use order (head: most recent) over a map by key: every step O(1). (Iterating a Map from its
  // start after many deletes walks their holes, so a Map's own order is no LRU under churn.)
  const byKey = new Map<string, Bucket>();
  const head: Bucket = { key: '', tat: 0, prev: null, next: null };
  head.prev = head.next = head;

  const unlink = (b: Bucket) => {
    b.prev!.next = b.next;
    b.next!.prev = b.prev;
  };
  const toFront = (b: Bucket) => {
    b.next = head.next;
    b.prev = head;
    head.next!.prev = b;
    head.next = b;
  };
  const drop = (b: Bucket) => {
    unlink(b);
    byKey.delete(b.key);
  };

  function makeRoom(now: number): void {
    let b = head.prev!;
    for (let looked = 0; b !== head && looked < SWEEP && byKey.size >= maxKeys; looked++) {
      const older = b.prev!;
      if (gcraWhole(b.tat, now)) drop(b);
      b = older;
    }
    if (byKey.size >= maxKeys) drop(head.prev!);
  }

  return {
    name: 'memory',
    exactness: STORE_EXACTNESS.memory,
    maxKeys,
    get size() {
      return byKey.size;
    },
    take(limit: RateLimitConfig, value: string, now: number): RateVerdict {
      // One bucket per limit and key (as the Durable Object store names its objects).
      const key = `${limit.name}\n${value}`;
      let b = byKey.get(key);
      const { verdict, tat } = gcra(b?.tat, limit, now);
      if (b) {
        unlink(b);
        b.tat = tat;
      } else {
        if (byKey.size >= maxKeys) makeRoom(now);
        b = { key, tat, prev: null, next: null };
        byKey.set(key, b);
      }
      toFront(b);
      return verdict;
    },
  };
}

interface Bucket {
  readonly key: string;
  /** The key's theoretical arrival time (epoch ms). */
  tat: number;
  prev: Bucket | null;
  next: Bucket | null;
}
