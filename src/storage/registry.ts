import { durableObjectStore, type StateObjectStub } from './durable-object.ts';
import { kvStore, type KVLike } from './kv.ts';
import { memoryStore } from './memory.ts';
import type { StateStore } from './types.ts';

/** What a runtime can offer the stores: Cloudflare bindings at the edge, nothing elsewhere. */
export interface StoreBindings {
  kv?: KVLike;
  /** The Durable Object that holds shared state (called per use: a stub belongs to one request). */
  stateObject?: () => StateObjectStub;
}

/** Thrown when a store needs a binding this runtime does not have; the message says which. */
export class StoreUnavailableError extends Error {}

/** Every store by its config name (`storage`): the one place a store is listed. */
export const stores = {
  memory: () => memoryStore(),
  kv: (b: StoreBindings) => {
    if (!b.kv) throw new StoreUnavailableError('storage "kv" needs the SWITCHYARD_KV binding (Cloudflare Workers; declared in wrangler.toml)');
    return kvStore(b.kv);
  },
  durable_object: (b: StoreBindings) => {
    if (!b.stateObject) throw new StoreUnavailableError('storage "durable_object" needs the SWITCHYARD_STATE binding (Cloudflare Workers; declared in wrangler.toml)');
    return durableObjectStore(b.stateObject);
  },
} satisfies Record<string, (bindings: StoreBindings) => StateStore>;

export type StoreName = keyof typeof stores;

/** Every store name config accepts. */
export const storeNames = Object.keys(stores) as StoreName[];

/** The store `name` over `bindings`; `StoreUnavailableError` when a binding it needs is missing. */
export function createStore(name: StoreName, bindings: StoreBindings = {}): StateStore {
  return stores[name](bindings);
}
