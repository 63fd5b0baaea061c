import type { StateDocuments, StateKey, StateStore } from './types.ts';

/** The RPC surface of the balancer's Durable Object that the store calls. */
export interface StateObjectStub {
  /** The document as JSON text, or null when never written. */
  getDoc(key: StateKey): Promise<string | null>;
  putDoc(key: StateKey, value: unknown): Promise<void>;
}

/**
 * A store whose authority is one Durable Object. `stub` is called for every
 * operation because a Durable Object stub belongs to the request that made it.
 */
export function durableObjectStore(stub: () => StateObjectStub): StateStore {
  return {
    name: 'durable_object',
    shared: true,
    writeOnlyOnChange: false,
    async get<K extends StateKey>(key: K) {
      const text = await stub().getDoc(key);
      return text === null || text === undefined ? undefined : (JSON.parse(text) as StateDocuments[K]);
    },
    async put<K extends StateKey>(key: K, value: StateDocuments[K]) {
      await stub().putDoc(key, value);
    },
  };
}
