import { versionOf, type StateDocuments, type StateKey, type StateStore, type VersionedKey } from './types.ts';

/** A store in this process's memory: the truth for one Node, Bun or Deno instance. */
export function memoryStore(): StateStore {
  const docs = new Map<StateKey, string>();
  return {
    name: 'memory',
    shared: false,
    writeOnlyOnChange: false,
    atomic: true,
    async get<K extends StateKey>(key: K) {
      const raw = docs.get(key);
      return raw === undefined ? undefined : (JSON.parse(raw) as StateDocuments[K]);
    },
    async put<K extends StateKey>(key: K, value: StateDocuments[K]) {
      // Stored as JSON so callers cannot mutate it behind the store's back, as with KV or a DO.
      docs.set(key, JSON.stringify(value));
    },
    // No await between the check and the set: no other writer can come in between.
    async putIfVersion<K extends VersionedKey>(key: K, value: StateDocuments[K], expected: number | undefined) {
      const raw = docs.get(key);
      const current = raw === undefined ? undefined : (JSON.parse(raw) as StateDocuments[K]);
      if (versionOf(current) !== expected) return { ok: false, current };
      docs.set(key, JSON.stringify(value));
      return { ok: true };
    },
  };
}
