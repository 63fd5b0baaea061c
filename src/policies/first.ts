import type { PolicyFactory } from './types.ts';

/** HAProxy's `first`: the first accepted backend in configured order. */
export const first: PolicyFactory = (backends) => ({
  pick(_ctx, accept) {
    for (const b of backends) if (accept(b)) return b;
    return undefined;
  },
});
