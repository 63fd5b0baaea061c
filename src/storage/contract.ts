import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BackendsDocument, HealthDocument } from '../core/types.ts';
import type { StateStore } from './types.ts';

const health: HealthDocument = {
  updated_at: 1_700_000_000_000,
  servers: {
    '127.0.0.1:8001': { status: 'healthy', since: 1, consecutive_failures: 0, consecutive_successes: 3 },
    '127.0.0.1:8002': {
      status: 'unhealthy',
      since: 2,
      consecutive_failures: 3,
      consecutive_successes: 0,
      last_check: { at: 5, ok: false, latency_ms: 12.5, error: 'connect' },
      reason: 'check failed: connect',
    },
  },
};

const backends: BackendsDocument = {
  version: 7,
  updated_at: 1_700_000_000_001,
  servers: [{ url: 'http://127.0.0.1:8001', weight: 2, backup: false, name: 'a' }],
};

/** The contract every StateStore implementation must pass. `make` returns a fresh, empty store. */
export function runStoreTests(name: string, make: () => Promise<StateStore> | StateStore): void {
  describe(`StateStore contract: ${name}`, () => {
    it('get of a key never written is undefined', async () => {
      const store = await make();
      assert.equal(await store.get('health'), undefined);
      assert.equal(await store.get('backends'), undefined);
    });

    it('put then get returns an equal document per key', async () => {
      const store = await make();
      await store.put('health', health);
      await store.put('backends', backends);
      assert.deepEqual(await store.get('health'), health);
      assert.deepEqual(await store.get('backends'), backends);
    });

    it('a later put replaces the whole document', async () => {
      const store = await make();
      await store.put('backends', backends);
      const next = { ...backends, version: 8, servers: [] };
      await store.put('backends', next);
      assert.deepEqual(await store.get('backends'), next);
    });

    it('returned documents are copies: mutating one does not change the store', async () => {
      const store = await make();
      await store.put('health', health);
      const got = await store.get('health');
      got!.servers['127.0.0.1:8001'].status = 'unhealthy';
      assert.equal((await store.get('health'))!.servers['127.0.0.1:8001'].status, 'healthy');
    });
  });
}
