import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RateLimitConfig } from './config.ts';
import { policyWindowS, rateLimitHeaders, rateLimitPolicy, rateLimitState, retryAfterS } from './headers.ts';

const limit = (over: Partial<RateLimitConfig> = {}): RateLimitConfig => ({ name: 'api', key: { by: 'ip' }, keyText: 'ip', limit: 10, periodMs: 1000, burst: 20, store: 'memory', binding: '', exempt: [], headers: true, ...over });

describe('rate-limit headers', () => {
  it('the policy: q is the burst, w the whole seconds it takes to refill (at least 1)', () => {
    const table: Array<[Partial<RateLimitConfig>, string]> = [
      [{}, '"api";q=20;w=2'],
      [{ limit: 100, burst: 50 }, '"api";q=50;w=1'],
      [{ limit: 1000, periodMs: 60_000, burst: 1000 }, '"api";q=1000;w=60'],
      [{ limit: 3, burst: 1 }, '"api";q=1;w=1'],
      [{ limit: 3, burst: 4 }, '"api";q=4;w=2'],
      [{ limit: 100, periodMs: 10_000, burst: 100, store: 'edge' }, '"api";q=100;w=10'],
    ];
    for (const [over, want] of table) assert.equal(rateLimitPolicy(limit(over)), want, JSON.stringify(over));
    assert.equal(policyWindowS({ limit: 7, periodMs: 1000, burst: 7 }), 1);
  });

  it('the state: r and t when the store knows them, r=0 on a refusal it cannot count', () => {
    assert.equal(rateLimitState(limit(), { allowed: true, remaining: 19, resetMs: 100, retryAfterMs: 0 }), '"api";r=19;t=1');
    assert.equal(rateLimitState(limit(), { allowed: false, remaining: 0, resetMs: 2000, retryAfterMs: 100 }), '"api";r=0;t=2');
    assert.equal(rateLimitState(limit(), { allowed: true, retryAfterMs: 0 }), '"api"');
    assert.equal(rateLimitState(limit(), { allowed: false, retryAfterMs: 10_000 }), '"api";r=0');
  });

  it('Retry-After is whole seconds, at least 1, and only on a refusal', () => {
    assert.deepEqual([0, 1, 999, 1000, 1001, 60_000].map(retryAfterS), [1, 1, 1, 1, 2, 60]);
    assert.deepEqual(rateLimitHeaders(limit(), { allowed: false, remaining: 0, resetMs: 2000, retryAfterMs: 1500 }), [
      ['ratelimit-policy', '"api";q=20;w=2'],
      ['ratelimit', '"api";r=0;t=2'],
      ['retry-after', '2'],
    ]);
    assert.equal(rateLimitHeaders(limit(), { allowed: true, remaining: 3, resetMs: 1, retryAfterMs: 0 }).length, 2);
  });
});
