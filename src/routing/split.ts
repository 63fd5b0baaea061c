import { fnv1a, mix32 } from '../policies/hash.ts';

/**
 * Which member of a weighted split a key falls in: a hash of the key placed
 * on the cumulative weights, so one key (a client) always gets the same
 * member while the weights stay, and keys spread by weight.
 */
export function splitIndex(key: string, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  const x = (mix32(fnv1a(key)) / 0x1_0000_0000) * total;
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += weights[i];
    if (x < sum) return i;
  }
  return weights.length - 1;
}
