import type { StateDocuments, StateKey, StateStore } from './types.ts';

/** The part of a Cloudflare KV namespace binding the store uses. */
export interface KVLike {
  get(key: string, type: 'json'): Promise<unknown>;
  put(key: string, value: string): Promise<void>;
}

/**
 * A store in Cloudflare KV, one KV key per document. KV is eventually
 * consistent (~60 s) and takes about one write per second per key, so callers
 * write whole documents, rarely (the health tick writes only on change).
 */
export function kvStore(kv: KVLike, prefix = 'switchyard:'): StateStore {
  return {
    name: 'kv',
    shared: true,
    writeOnlyOnChange: true,
    async get<K extends StateKey>(key: K) {
      const value = await kv.get(prefix + key, 'json');
      return (value ?? undefined) as StateDocuments[K] | undefined;
    },
    async put<K extends StateKey>(key: K, value: StateDocuments[K]) {
      await kv.put(prefix + key, JSON.stringify(value));
    },
  };
}
