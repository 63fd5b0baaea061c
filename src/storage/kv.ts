import { versionOf, type StateDocuments, type StateKey, type StateStore, type VersionedKey } from './types.ts';

/** The part of a Cloudflare KV namespace binding the store uses. */
export interface KVLike {
  get(key: string, type: 'json'): Promise<unknown>;
  put(key: string, value: string): Promise<void>;
}

/**
 * A store in Cloudflare KV, one KV key per document. KV is eventually
 * consistent (~60 s) and takes about one write per second per key, so callers
 * write whole documents, rarely (the health tick writes only on change). KV has
 * no compare-and-set: `putIfVersion` reads then puts, so a writer in between
 * (or one this location's read does not show yet) is overwritten: last writer wins.
 */
export function kvStore(kv: KVLike, prefix = 'switchyard:'): StateStore {
  async function get<K extends StateKey>(key: K): Promise<StateDocuments[K] | undefined> {
    const value = await kv.get(prefix + key, 'json');
    return (value ?? undefined) as StateDocuments[K] | undefined;
  }
  async function put<K extends StateKey>(key: K, value: StateDocuments[K]): Promise<void> {
    await kv.put(prefix + key, JSON.stringify(value));
  }
  return {
    name: 'kv',
    shared: true,
    writeOnlyOnChange: true,
    atomic: false,
    get,
    put,
    async putIfVersion<K extends VersionedKey>(key: K, value: StateDocuments[K], expected: number | undefined) {
      const current = await get(key);
      if (versionOf(current) !== expected) return { ok: false, current };
      await put(key, value);
      return { ok: true };
    },
  };
}
