import { versionOf, type StateDocuments, type StateKey, type StateStore, type VersionedKey } from './types.ts';

/** The part of a Durable Object's `ctx.storage` the store uses. */
export interface DurableObjectStorageLike {
  get<T = unknown>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
}

/** The conditional puts waiting on each object's storage, one after another (shared by every store over it). */
const queues = new WeakMap<DurableObjectStorageLike, Promise<unknown>>();

/** Runs `fn` after every conditional put on `storage` queued before it. */
function serially<T>(storage: DurableObjectStorageLike, fn: () => Promise<T>): Promise<T> {
  const run = (queues.get(storage) ?? Promise.resolve()).then(fn);
  queues.set(storage, run.catch(() => undefined));
  return run;
}

/**
 * The store inside the Durable Object itself, over its own transactional
 * storage: what the object's balancer (the one that runs the health rounds)
 * reads and writes. Isolates reach the same documents through `durableObjectStore`.
 * The object is the one writer: its conditional puts run one at a time, so
 * of two writers that read the same version exactly one is written.
 */
export function durableObjectStorageStore(storage: DurableObjectStorageLike): StateStore {
  const get = async <K extends StateKey>(key: K) => (await storage.get<StateDocuments[K]>(key)) ?? undefined;
  return {
    name: 'durable_object',
    shared: true,
    writeOnlyOnChange: false,
    atomic: true,
    get,
    put: async <K extends StateKey>(key: K, value: StateDocuments[K]) => storage.put(key, value),
    putIfVersion: <K extends VersionedKey>(key: K, value: StateDocuments[K], expected: number | undefined) =>
      serially(storage, async () => {
        const current = await get(key);
        if (versionOf(current) !== expected) return { ok: false as const, current };
        await storage.put(key, value);
        return { ok: true as const };
      }),
  };
}
