import type { StateDocuments, StateKey, StateStore, VersionedKey } from './types.ts';

/** The RPC surface of the balancer's Durable Object that the store calls. */
export interface StateObjectStub {
  /** The document as JSON text, or null when never written. */
  getDoc(key: StateKey): Promise<string | null>;
  putDoc(key: StateKey, value: unknown): Promise<void>;
  /**
   * Puts the document only if the stored one's version is `expected` (null:
   * none stored), decided inside the object; otherwise the stored document as
   * JSON text (null: none).
   */
  putDocIfVersion(key: VersionedKey, value: unknown, expected: number | null): Promise<{ ok: true } | { ok: false; current: string | null }>;
}

const parse = <K extends StateKey>(text: string | null | undefined) => (text === null || text === undefined ? undefined : (JSON.parse(text) as StateDocuments[K]));

/**
 * A store whose authority is one Durable Object. `stub` is called for every
 * operation because a Durable Object stub belongs to the request that made it.
 * A conditional put is decided inside the object, the one writer: atomic.
 */
export function durableObjectStore(stub: () => StateObjectStub): StateStore {
  return {
    name: 'durable_object',
    shared: true,
    writeOnlyOnChange: false,
    atomic: true,
    async get<K extends StateKey>(key: K) {
      return parse<K>(await stub().getDoc(key));
    },
    async put<K extends StateKey>(key: K, value: StateDocuments[K]) {
      await stub().putDoc(key, value);
    },
    async putIfVersion<K extends VersionedKey>(key: K, value: StateDocuments[K], expected: number | undefined) {
      const r = await stub().putDocIfVersion(key, value, expected ?? null);
      return r.ok ? { ok: true } : { ok: false, current: parse<K>(r.current) };
    },
  };
}
