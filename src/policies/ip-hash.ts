import type { Backend } from '../core/types.ts';
import { fnv1a, mix32 } from './hash.ts';
import type { PolicyFactory } from './types.ts';

const SLOTS_PER_WEIGHT = 16;

/**
 * nginx's `ip_hash`: the client IP picks a slot in a table where each backend
 * holds slots in proportion to its weight. A refused backend's clients rehash
 * (up to 20 times, as nginx does), then take the next accepted slot; everyone
 * else keeps their backend.
 */
export const ipHash: PolicyFactory = (backends) => {
  const slots: Backend[] = [];
  backends.forEach((b) => {
    const count = Math.max(1, Math.round(b.weight * SLOTS_PER_WEIGHT));
    for (let i = 0; i < count; i++) slots.push(b);
  });
  // Interleave so neighbouring slots belong to different backends.
  const table = slots.map((b, i) => ({ b, k: mix32(fnv1a(`${b.id}#${i}`)) })).sort((x, y) => x.k - y.k).map((x) => x.b);
  const m = table.length;
  return {
    pick(ctx, accept) {
      if (m === 0) return undefined;
      let h = fnv1a(ctx.clientIp);
      for (let tries = 0; tries < 20; tries++) {
        const b = table[h % m];
        if (accept(b)) return b;
        h = mix32(h + tries + 1);
      }
      const start = h % m;
      for (let i = 0; i < m; i++) {
        const b = table[(start + i) % m];
        if (accept(b)) return b;
      }
      return undefined;
    },
  };
};
