import type { Config } from '../config/types.ts';
import type { StateStore } from '../storage/types.ts';
import type { Logger } from './log.ts';
import { newStickySecret } from './sticky.ts';

/**
 * The secret sticky tokens are signed with when a service sets none of its
 * own: `LB_STICKY_SECRET`; else, for a store of this instance's own, one made
 * at start; else the one kept in the shared store (the first instance to need
 * it writes it), so every instance signs alike. `ready()` is the read of that
 * shared secret while one is needed: started by the first request that needs
 * it, never at construction (at the edge, I/O belongs to a request).
 */
export function stickySecret(config: Config, store: StateStore, log: Logger): { value: () => string | undefined; ready: () => Promise<void> | undefined } {
  const needed = [config.sticky, ...config.services.map((s) => s.sticky)].some((s) => s && !s.secret);
  let secret = config.stickySecret ?? (!store.shared ? newStickySecret() : undefined);
  if (!needed && !store.shared) return { value: () => secret, ready: () => undefined };
  let reading: Promise<void> | undefined;
  const read = async () => {
    try {
      let doc = await store.get('secrets');
      if (!doc?.sticky) {
        await store.put('secrets', { sticky: newStickySecret() });
        doc = await store.get('secrets');
      }
      secret = doc!.sticky;
    } catch (e) {
      log.warn('sticky secret unavailable from the store; signing with one of this instance only', { store: store.name, error: String(e) });
      secret = newStickySecret();
    } finally {
      reading = undefined;
    }
  };
  // With a shared store, services made at run time may turn sticky on later: read the secret once, on first need.
  return { value: () => secret, ready: () => (secret ? undefined : (reading ??= read())) };
}
