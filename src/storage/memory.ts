import type { StateDocuments, StateKey, StateStore } from './types.ts';

/** A store in this process's memory: the truth for one Node, Bun or Deno instance. */
export function memoryStore(): StateStore {
  const docs = new Map<StateKey, string>();
  return {
    name: 'memory',
    shared: false,
    writeOnlyOnChange: false,
    async get<K extends StateKey>(key: K) {
      const raw = docs.get(key);
      return raw === undefined ? undefined : (JSON.parse(raw) as StateDocuments[K]);
    },
    async put<K extends StateKey>(key: K, value: StateDocuments[K]) {
      // Stored as JSON so callers cannot mutate it behind the store's back, as with KV or a DO.
      docs.set(key, JSON.stringify(value));
    },
  };
}
