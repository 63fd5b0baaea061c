import type { BackendSpec, HealthDocument, ServicesDocument } from '../core/types.ts';

/** The documents a store holds; each key has exactly one writer. */
export interface StateDocuments {
  /** Written by the admin API: services, their servers, the routes. */
  services: ServicesDocument;
  /** Written by the health tick: every service's health at once. */
  health: HealthDocument;
  /** Written once, by the first instance that needs it: the sticky-session signing secret when none is configured. */
  secrets: { sticky: string };
  /** Written by versions before services: the one pool's server list. Read once, to carry it over. */
  backends: { version: number; updated_at: number; servers: BackendSpec[] };
}

export type StateKey = keyof StateDocuments;

/** The keys whose documents carry a `version`: those a conditional put can guard. */
export type VersionedKey = { [K in StateKey]: StateDocuments[K] extends { version: number } ? K : never }[StateKey];

/** What a conditional put did: wrote the document, or wrote nothing and gives back the one the store holds. */
export type PutIfResult<K extends StateKey> = { ok: true } | { ok: false; current: StateDocuments[K] | undefined };

/** What a store can do; the core decides by these, never by a store's name. */
export interface StoreCapabilities {
  /** Other instances write it too: a read is fresh only for a short while (otherwise, forever). */
  readonly shared: boolean;
  /** Writes are rationed (KV: about one per second per key): write a document only when it changed. */
  readonly writeOnlyOnChange: boolean;
  /**
   * `putIfVersion` is atomic: of writers that read the same version, exactly
   * one is written and the others are refused (memory, the Durable Object).
   * Otherwise it is a read then a put: a writer in between can still be
   * overwritten, last writer wins (KV).
   */
  readonly atomic: boolean;
}

/**
 * Where shared state lives: memory (one process), Cloudflare KV or a Durable
 * Object. Whole documents in, whole documents out; `get` of a key never written
 * resolves `undefined`. Values are plain JSON data: a store may serialise them,
 * so callers must not rely on object identity.
 */
export interface StateStore extends StoreCapabilities {
  /** Its config name, as `/api/stats` shows it (`storage`). */
  readonly name: string;
  get<K extends StateKey>(key: K): Promise<StateDocuments[K] | undefined>;
  put<K extends StateKey>(key: K, value: StateDocuments[K]): Promise<void>;
  /**
   * Puts `value` only if the stored document's `version` is `expected`
   * (`undefined`: only if none is stored); otherwise writes nothing and gives
   * back the stored document. Atomic only where the store says `atomic`.
   */
  putIfVersion<K extends VersionedKey>(key: K, value: StateDocuments[K], expected: number | undefined): Promise<PutIfResult<K>>;
}

/** The `version` of a stored document (undefined: none stored). */
export function versionOf(doc: { version: number } | undefined): number | undefined {
  return doc?.version;
}
