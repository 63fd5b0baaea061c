import type { StateDocuments, StateKey, StateStore } from './types.ts';

/** The part of a Durable Object's `ctx.storage` the store uses. */
export interface DurableObjectStorageLike {
  get<T = unknown>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
}

/**
 * The store inside the Durable Object itself, over its own transactional
 * storage: what the object's balancer (the one that runs the health rounds)
 * reads and writes. Isolates reach the same documents through `durableObjectStore`.
 */
export function durableObjectStorageStore(storage: DurableObjectStorageLike): StateStore {
  return {
    name: 'durable_object',
    shared: true,
    writeOnlyOnChange: false,
    get: async <K extends StateKey>(key: K) => (await storage.get<StateDocuments[K]>(key)) ?? undefined,
    put: async <K extends StateKey>(key: K, value: StateDocuments[K]) => storage.put(key, value),
  };
}
