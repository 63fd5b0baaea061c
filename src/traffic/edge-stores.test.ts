/** The edge stores' own logic, away from workerd: what they throw, and how they fail open. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../core/log.ts';
import type { RateLimitConfig } from './config.ts';
import { durableObjectRateLimitStore } from './durable-object-store.ts';
import { edgeRateLimitStore } from './edge-store.ts';
import { RateLimitStoreUnavailableError, type RateLimitBindings } from './types.ts';

const LIMIT: RateLimitConfig = { name: 'api', key: { by: 'ip' }, keyText: 'ip', limit: 5, periodMs: 60_000, burst: 5, store: 'edge', binding: 'SWITCHYARD_RATE_LIMIT', exempt: [], headers: false };

function captured() {
  const lines: string[] = [];
  return { lines, log: createLogger('info', (l) => lines.push(l)) };
}

describe('edge rate-limit stores', () => {
  it('a runtime without the bindings cannot build them: the error names the binding and wrangler.toml', () => {
    assert.throws(() => edgeRateLimitStore({}), (e: Error) => e instanceof RateLimitStoreUnavailableError && /"edge" needs the SWITCHYARD_RATE_LIMIT rate-limit binding \(Cloudflare Workers; declared in wrangler\.toml/.test(e.message));
    assert.throws(() => durableObjectRateLimitStore({}), (e: Error) => e instanceof RateLimitStoreUnavailableError && /SWITCHYARD_RATE_LIMITER/.test(e.message));
  });

  it('edge: check names a limit\'s missing binding; a binding that is not a rate limiter is missing too', () => {
    const kv = { get: async () => null };
    const bindings: RateLimitBindings = { edge: (name) => (name === 'SWITCHYARD_RATE_LIMIT' ? { limit: async () => ({ success: true }) } : name === 'SWITCHYARD_KV' ? (kv as never) : undefined) };
    const store = edgeRateLimitStore(bindings);
    store.check!(LIMIT);
    assert.throws(() => store.check!({ ...LIMIT, binding: 'OTHER_LIMIT' }), (e: Error) => e instanceof RateLimitStoreUnavailableError && /needs the OTHER_LIMIT rate-limit binding/.test(e.message));
    assert.throws(() => store.check!({ ...LIMIT, binding: 'SWITCHYARD_KV' }), (e: Error) => e instanceof RateLimitStoreUnavailableError && /needs the SWITCHYARD_KV rate-limit binding/.test(e.message));
  });

  it('edge: refused means retry after the period, with nothing known of remaining', async () => {
    let success = true;
    const seen: string[] = [];
    const store = edgeRateLimitStore({ edge: () => ({ limit: async ({ key }) => (seen.push(key), { success }) }) });
    assert.deepEqual(await store.take(LIMIT, '10.0.0.1', 0), { allowed: true, retryAfterMs: 0 });
    success = false;
    assert.deepEqual(await store.take({ ...LIMIT, name: 'other', periodMs: 10_000 }, '10.0.0.1', 0), { allowed: false, retryAfterMs: 10_000 });
    assert.deepEqual(seen, ['api\n10.0.0.1', 'other\n10.0.0.1'], 'the binding counts by limit name and key');
  });

  for (const kind of ['edge', 'durable_object'] as const) {
    it(`${kind}: a failing call allows the request, logged once per outage, and its end logged with the count`, async () => {
      let failing = true;
      const fail = async () => {
        if (failing) throw new Error('binding unreachable');
        return { success: true };
      };
      const { lines, log } = captured();
      const store =
        kind === 'edge'
          ? edgeRateLimitStore({ edge: () => ({ limit: fail }) }, { log })
          : durableObjectRateLimitStore({ durableObject: () => ({ take: async () => (await fail(), { allowed: true, remaining: 4, retryAfterMs: 0 }) }) }, { log });
      for (let i = 0; i < 3; i++) assert.equal((await store.take(LIMIT, 'k', 0)).allowed, true);
      assert.equal(store.failedOpen, 3);
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.match(lines[0], new RegExp(`warn rate-limit store "${kind}" did not answer.* limit=api error="binding unreachable"`));
      failing = false;
      await store.take(LIMIT, 'k', 0);
      await store.take(LIMIT, 'k', 0);
      assert.equal(lines.length, 2, lines.join('\n'));
      assert.match(lines[1], new RegExp(`info rate-limit store "${kind}" answers again limit=api failed_open=3`));
      failing = true;
      await store.take(LIMIT, 'k', 0);
      assert.equal(lines.length, 3, 'a new outage is logged again');
    });
  }

  it('durable_object: a stub that cannot even be made fails open too', async () => {
    const { log } = captured();
    const store = durableObjectRateLimitStore({ durableObject: () => { throw new Error('no namespace'); } }, { log });
    assert.deepEqual(await store.take(LIMIT, 'k', 0), { allowed: true, retryAfterMs: 0 });
  });
});
