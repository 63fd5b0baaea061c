import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HealthDocument, ServicesDocument } from '../core/types.ts';
import type { StateStore } from './types.ts';

const health: HealthDocument = {
  updated_at: 1_700_000_000_000,
  services: {
    default: {
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
  },
};

const services: ServicesDocument = {
  version: 7,
  updated_at: 1_700_000_000_001,
  services: {
    default: { origin: 'config', servers: [{ url: 'http://127.0.0.1:8001', weight: 2, backup: false, name: 'a' }] },
    api: { origin: 'api', servers: [], settings: { timeout: '2s', health_check: { path: '/healthz' } } },
  },
  routes: [{ name: '0', match: { path_prefix: '/api/' }, service: 'api', stripPrefix: true }],
};

/** The contract every StateStore implementation must pass. `make` returns a fresh, empty store. */
export function runStoreTests(name: string, make: () => Promise<StateStore> | StateStore): void {
  describe(`StateStore contract: ${name}`, () => {
    it('get of a key never written is undefined', async () => {
      const store = await make();
      assert.equal(await store.get('health'), undefined);
      assert.equal(await store.get('services'), undefined);
    });

    it('put then get returns an equal document per key', async () => {
      const store = await make();
      await store.put('health', health);
      await store.put('services', services);
      assert.deepEqual(await store.get('health'), health);
      assert.deepEqual(await store.get('services'), services);
    });

    it('a later put replaces the whole document', async () => {
      const store = await make();
      await store.put('services', services);
      const next = { ...services, version: 8, services: {} };
      await store.put('services', next);
      assert.deepEqual(await store.get('services'), next);
    });

    it('returned documents are copies: mutating one does not change the store', async () => {
      const store = await make();
      await store.put('health', health);
      const got = await store.get('health');
      got!.services.default['127.0.0.1:8001'].status = 'unhealthy';
      assert.equal((await store.get('health'))!.services.default['127.0.0.1:8001'].status, 'healthy');
    });
  });
}
