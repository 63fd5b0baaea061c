import type { Backend } from '../core/types.ts';
import { fnv1a, hashFunction, mix32, requestKey } from './hash.ts';
import type { PolicyFactory } from './types.ts';

/**
 * Builds Maglev's lookup table (Eisenbud et al., NSDI 2016): every backend
 * walks its own permutation of the M slots (offset and skip from two hashes of
 * its id) and claims the next free one, taking `weight` turns per round
 * relative to the lightest backend, until the table is full.
 */
export function maglevTable(backends: readonly Backend[], m: number): Int32Array {
  const table = new Int32Array(m).fill(-1);
  const n = backends.length;
  if (n === 0) return table;
  const offset = backends.map((b) => fnv1a(`${b.id}:offset`) % m);
  const skip = backends.map((b) => (mix32(fnv1a(`${b.id}:skip`)) % (m - 1)) + 1);
  const next = new Array<number>(n).fill(0);
  const minWeight = Math.min(...backends.map((b) => b.weight));
  const turns = backends.map((b) => b.weight / minWeight);
  const credit = new Array<number>(n).fill(0);
  let filled = 0;
  while (filled < m) {
    for (let i = 0; i < n && filled < m; i++) {
      credit[i] += turns[i];
      while (credit[i] >= 1 && filled < m) {
        credit[i] -= 1;
        let c = (offset[i] + next[i] * skip[i]) % m;
        while (table[c] >= 0) {
          next[i]++;
          c = (offset[i] + next[i] * skip[i]) % m;
        }
        table[c] = i;
        next[i]++;
        filled++;
      }
    }
  }
  return table;
}

/**
 * Maglev hashing: O(1) pick from a prebuilt table; a change of backends moves
 * few keys. A refused backend's keys rehash into the table (so only its keys move).
 */
export const maglev: PolicyFactory = (backends, { hash, maglevTableSize, digest }) => {
  const m = maglevTableSize;
  const table = maglevTable(backends, m);
  const base = hashFunction(hash.hashFunction, digest);
  const fn = (s: string) => mix32(base(s));
  return {
    pick(ctx, accept) {
      if (backends.length === 0) return undefined;
      let h = fn(requestKey(ctx, hash.key));
      for (let tries = 0; tries < 16; tries++) {
        const b = backends[table[h % m]];
        if (accept(b)) return b;
        h = mix32(h + tries + 1);
      }
      const start = h % backends.length;
      for (let i = 0; i < backends.length; i++) {
        const b = backends[(start + i) % backends.length];
        if (accept(b)) return b;
      }
      return undefined;
    },
  };
};
