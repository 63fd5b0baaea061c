import type { StateDocuments, StateKey, StateStore } from './types.ts';

/** The RPC surface of the balancer's Durable Object that the store calls. */
export interface StateObjectStub {
  getDoc(key: StateKey): Promise<unknown>;
  putDoc(key: StateKey, value: unknown): Promise<void>;
}

/**
 * A store whose authority is one Durable Object. `stub` is called for every
 * operation because a Durable Object stub belongs to the request that made it.
 */
export function durableObjectStore(stub: () => StateObjectStub): StateStore {
  return {
    kind: 'durable_object',
    async get<K extends StateKey>(key: K) {
      return ((await stub().getDoc(key)) ?? undefined) as StateDocuments[K] | undefined;
    },
    async put<K extends StateKey>(key: K, value: StateDocuments[K]) {
      await stub().putDoc(key, value);
    },
  };
}
