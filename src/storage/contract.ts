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

    it('putIfVersion writes when the stored version is the one expected (undefined: none stored)', async () => {
      const store = await make();
      assert.deepEqual(await store.putIfVersion('services', services, undefined), { ok: true });
      assert.deepEqual(await store.get('services'), services);
      const next = { ...services, version: 8, routes: [] };
      assert.deepEqual(await store.putIfVersion('services', next, 7), { ok: true });
      assert.deepEqual(await store.get('services'), next);
    });

    it('putIfVersion refuses any other version: writes nothing, gives back the stored document', async () => {
      const store = await make();
      assert.deepEqual(await store.putIfVersion('services', services, 3), { ok: false, current: undefined }, 'none stored, a version expected');
      assert.equal(await store.get('services'), undefined);
      await store.put('services', services);
      const next = { ...services, version: 8, services: {} };
      assert.deepEqual(await store.putIfVersion('services', next, 6), { ok: false, current: services }, 'an older version expected');
      assert.deepEqual(await store.putIfVersion('services', next, undefined), { ok: false, current: services }, 'none expected, one stored');
      assert.deepEqual(await store.get('services'), services);
    });

    it('two writers from the same version: an atomic store writes exactly one; any store keeps one of them whole', async () => {
      const store = await make();
      await store.put('services', services);
      const mine = { ...services, version: 8, services: { mine: { origin: 'api' as const, servers: [] } } };
      const theirs = { ...services, version: 8, services: { theirs: { origin: 'api' as const, servers: [] } } };
      const [a, b] = await Promise.all([store.putIfVersion('services', mine, 7), store.putIfVersion('services', theirs, 7)]);
      const stored = await store.get('services');
      if (store.atomic) {
        assert.equal([a, b].filter((r) => r.ok).length, 1, `exactly one written: ${JSON.stringify([a, b])}`);
        const [won, lost] = a.ok ? [mine, b] : [theirs, a];
        assert.deepEqual(stored, won);
        assert.deepEqual(lost, { ok: false, current: won }, 'the other gets the winner back, to apply its change to');
      } else {
        // Last writer wins: both may be told they were written; the store holds one of them, whole.
        assert.ok(a.ok || b.ok);
        assert.ok([mine, theirs].some((d) => JSON.stringify(d) === JSON.stringify(stored)), JSON.stringify(stored));
      }
    });
  });
}
