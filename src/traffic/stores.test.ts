import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NO_LIMITS, trafficLimits } from '../config/traffic-schema.ts';
import { RATE_LIMIT_STORES, RateLimitStores } from './stores.ts';
import { STORE_EXACTNESS } from './types.ts';

describe('rate-limit store registry', () => {
  it('lists every store the config names, each saying the exactness stats report', () => {
    assert.deepEqual(Object.keys(RATE_LIMIT_STORES).sort(), ['durable_object', 'edge', 'memory']);
    const bindings = { edge: () => ({ limit: async () => ({ success: true }) }), durableObject: () => ({ take: async () => ({ allowed: true, retryAfterMs: 0 }) }) };
    for (const [name, make] of Object.entries(RATE_LIMIT_STORES)) {
      const store = make(bindings, {});
      assert.equal(store.name, name);
      assert.equal(store.exactness, STORE_EXACTNESS[name as keyof typeof STORE_EXACTNESS]);
    }
  });

  it('builds each store once, so buckets outlive the gates built over them', () => {
    const stores = new RateLimitStores();
    const [l] = trafficLimits({ rate_limit: { rate: '1/s' } }, 'global').rateLimits;
    assert.equal(stores.for(l), stores.for(l));
  });

  it('names each limit whose store this runtime has not, by its path', () => {
    const scopes = [
      { path: '', limits: trafficLimits({ rate_limit: { rate: '10/10s', store: 'edge' } }, 'global') },
      { path: 'services.api', limits: trafficLimits({ rate_limit: [{ rate: '1/s' }, { rate: '1/s', store: 'durable_object' }] }, 'service:api') },
      { path: 'routes[0]', limits: NO_LIMITS },
    ];
    const problems = new RateLimitStores().problems(scopes);
    assert.deepEqual(
      problems.map((p) => [p.path, p.input]),
      [
        ['rate_limit.store', 'edge'],
        ['services.api.rate_limit[1].store', 'durable_object'],
      ],
    );
    assert.match(problems[0].message, /needs the SWITCHYARD_RATE_LIMIT rate-limit binding/);
    assert.deepEqual(new RateLimitStores({ edge: () => ({ limit: async () => ({ success: true }) }) }).problems(scopes.slice(0, 1)), []);
  });
});
