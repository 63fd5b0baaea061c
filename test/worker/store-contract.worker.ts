/**
 * A test-only Worker (never deployed): a Durable Object whose store is
 * `durableObjectStorageStore(ctx.storage)`, the one SwitchyardState's own
 * balancer uses, with the StateStore contract's cases compiled in. Each case
 * runs inside the object, so a document it gets is the object storage really
 * returned, not a copy made by RPC. Bundled by test/worker/internal-store.test.ts
 * with `node:test` resolved to ./node-test-collector.ts.
 */
import { DurableObject } from 'cloudflare:workers';
import { runStoreTests } from '../../src/storage/contract.ts';
import { durableObjectStorageStore, type DurableObjectStorageLike } from '../../src/storage/durable-object-storage.ts';
import { registered } from './node-test-collector.ts';

/** The storage of the object running a case; `make` is called as the case starts, synchronously. */
let current: DurableObjectStorageLike | undefined;

runStoreTests('durable_object_storage (inside workerd)', () => {
  if (!current) throw new Error('no Durable Object is running a case');
  return durableObjectStorageStore(current);
});

export type CaseResult = { ok: true } | { ok: false; error: string };

export class StoreContract extends DurableObject {
  /** The contract's case names, in order. */
  cases(): string[] {
    return registered.map((c) => c.name);
  }

  /** Runs one case against this object's own storage (use a fresh object per case: the store must start empty). */
  async run(name: string): Promise<CaseResult> {
    const c = registered.find((r) => r.name === name);
    if (!c) return { ok: false, error: `no case named "${name}"` };
    current = this.ctx.storage;
    try {
      const done = c.fn();
      current = undefined;
      await done;
      return { ok: true };
    } catch (e) {
      current = undefined;
      return { ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
    }
  }
}

export default {
  fetch: () => new Response('store contract worker: use the StoreContract object over RPC', { status: 404 }),
};
