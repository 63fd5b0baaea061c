/** The StateStore contract on the real Workers bindings: KV and the Durable Object inside workerd. */
import { after, before } from 'node:test';
import type { Miniflare } from 'miniflare';
import { runStoreTests } from '../../src/storage/contract.ts';
import { durableObjectStore, type StateObjectStub } from '../../src/storage/durable-object.ts';
import { kvStore, type KVLike } from '../../src/storage/kv.ts';
import { startMiniflare } from '../fixtures/worker.ts';

let mf: Miniflare;
let n = 0;
before(async () => {
  // No health checks: the Durable Object would otherwise check the servers of a services document a
  // case stores, and its round would write the health document the case is reading back.
  ({ mf } = await startMiniflare({ servers: [], storage: 'memory', health_check: { enabled: false } }));
});
after(async () => {
  await mf?.dispose();
});

// Each store is fresh: its own key prefix in KV, its own Durable Object by name.
runStoreTests('kv (workerd)', async () => kvStore((await mf.getKVNamespace('SWITCHYARD_KV')) as unknown as KVLike, `contract-${++n}:`));
runStoreTests('durable_object (workerd)', async () => {
  const ns = await mf.getDurableObjectNamespace('SWITCHYARD_STATE');
  const stub = ns.get(ns.idFromName(`contract-${++n}`)) as unknown as StateObjectStub;
  return durableObjectStore(() => stub);
});
