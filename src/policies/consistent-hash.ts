import type { Backend } from '../core/types.ts';
import { hashFunction, mix32, requestKey } from './hash.ts';
import type { PolicyFactory } from './types.ts';

/**
 * A hash ring with `virtualNodes` points per unit of weight. A key goes to the
 * first accepted backend clockwise from its hash, so a refused or removed
 * backend's keys move to their successors and no other key moves. With
 * `balanceFactor`, a backend above factor × average in-flight is passed over
 * (consistent hashing with bounded loads, HAProxy's `hash-balance-factor`).
 */
export const consistentHash: PolicyFactory = (backends, { hash, load, digest }) => {
  // The chosen hash, finalised by murmur3's mixer: fnv1a and djb2 barely change
  // the high bits between similar strings, which would bunch a ring together.
  const base = hashFunction(hash.hashFunction, digest);
  const fn = (s: string) => mix32(base(s));
  const points: Array<{ h: number; b: Backend }> = [];
  for (const b of backends) {
    const count = Math.max(1, Math.round(hash.virtualNodes * b.weight));
    for (let i = 0; i < count; i++) points.push({ h: fn(`${b.id}#${i}`), b });
  }
  points.sort((x, y) => x.h - y.h || (x.b.id < y.b.id ? -1 : 1));
  const ring = Uint32Array.from(points, (p) => p.h);
  const owners = points.map((p) => p.b);
  const m = ring.length;

  function firstAtOrAfter(h: number): number {
    let lo = 0;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ring[mid] < h) lo = mid + 1;
      else hi = mid;
    }
    return lo === m ? 0 : lo;
  }

  return {
    pick(ctx, accept) {
      if (m === 0) return undefined;
      let ok = accept;
      if (hash.balanceFactor) {
        let total = 0;
        for (const b of backends) total += load.inFlight(b.id);
        const cap = Math.ceil((hash.balanceFactor * (total + 1)) / backends.length);
        ok = (b) => accept(b) && load.inFlight(b.id) + 1 <= cap;
      }
      const start = firstAtOrAfter(fn(requestKey(ctx, hash.key)));
      const seen = new Set<Backend>();
      for (let i = 0; i < m && seen.size < backends.length; i++) {
        const b = owners[(start + i) % m];
        if (seen.has(b)) continue;
        if (ok(b)) return b;
        seen.add(b);
      }
      // Every accepted backend is above the bound: fall back to plain consistent hashing.
      if (ok !== accept) {
        for (let i = 0; i < m; i++) {
          const b = owners[(start + i) % m];
          if (accept(b)) return b;
        }
      }
      return undefined;
    },
  };
};
