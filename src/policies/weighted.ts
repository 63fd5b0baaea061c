import type { Backend } from '../core/types.ts';

/** Weighted random draws over a fixed list: O(log n) per draw by binary search of cumulative weights. */
export function weightedSampler(backends: readonly Backend[], random: () => number) {
  const cumulative = new Float64Array(backends.length);
  let total = 0;
  backends.forEach((b, i) => (cumulative[i] = total += b.weight));
  /** Index of one weighted draw. */
  function draw(): number {
    const x = random() * total;
    let lo = 0;
    let hi = backends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
  /**
   * An accepted backend by weighted draw: a few draws, then a scan from a random
   * offset so that some accepted backend is always found when one exists.
   */
  function drawAccepted(accept: (b: Backend) => boolean, not?: Backend): Backend | undefined {
    const n = backends.length;
    if (n === 0) return undefined;
    for (let tries = 0; tries < 8; tries++) {
      const b = backends[draw()];
      if (b !== not && accept(b)) return b;
    }
    const start = Math.floor(random() * n);
    for (let i = 0; i < n; i++) {
      const b = backends[(start + i) % n];
      if (b !== not && accept(b)) return b;
    }
    return undefined;
  }
  return { draw, drawAccepted };
}
