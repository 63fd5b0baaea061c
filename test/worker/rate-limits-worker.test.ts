/**
 * Rate limits with the edge stores end to end, through the bundled Worker in
 * workerd (Miniflare): store `edge` on the rate-limit binding Miniflare is
 * given, store `durable_object` on the SwitchyardRateLimiter object, and a
 * limit naming a binding the Worker lacks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Miniflare } from 'miniflare';
import { startBackend, type TestBackend } from '../fixtures/backends.ts';
import { startMiniflare, type RateLimitBindingOptions } from '../fixtures/worker.ts';

const TOKEN = 'rate-limit-admin-token';

describe('rate limits at the edge, through the Worker (workerd)', { timeout: 120_000 }, () => {
  let backend: TestBackend;
  const open: Miniflare[] = [];
  const start = async (config: Record<string, unknown>, ratelimits?: RateLimitBindingOptions) => {
    const r = await startMiniflare({ log_level: 'error', servers: [{ url: backend.url }], health_check: { enabled: false }, ...config }, { LB_ADMIN_TOKEN: TOKEN }, { ratelimits });
    open.push(r.mf);
    return r;
  };
  const get = async (url: string) => {
    const res = await fetch(url);
    return { status: res.status, headers: res.headers, body: await res.text() };
  };
  before(async () => {
    backend = await startBackend('A');
  });
  after(async () => {
    await Promise.all(open.map((m) => m.dispose()));
    await backend.close();
  });

  it('store "edge": the binding\'s 5 per minute let through, the rest 429 with Retry-After, never reaching the backend', async () => {
    const { url } = await start({ rate_limit: { name: 'edge-ip', store: 'edge', rate: '5/m' } }, { SWITCHYARD_RATE_LIMIT: { simple: { limit: 5, period: 60 } } });
    const hitsBefore = backend.hits.total;
    const answers = [];
    for (let i = 0; i < 20; i++) answers.push(await get(`${url}/edge/${i}`));
    const ok = answers.filter((a) => a.status === 200).length;
    const refused = answers.filter((a) => a.status === 429);
    // The binding counts in fixed minute windows: one, or two if a minute begins among the 20 requests.
    assert.ok(ok >= 5 && ok <= 10, `allowed ${ok}`);
    assert.equal(ok + refused.length, 20, answers.map((a) => a.status).join());
    assert.equal(backend.hits.total - hitsBefore, ok, 'a refused request never reaches the backend');
    for (const r of refused) {
      assert.equal(r.headers.get('retry-after'), '60', 'the binding cannot say sooner: its period');
      assert.equal(r.headers.get('ratelimit-policy'), '"edge-ip";q=5;w=60');
      assert.equal(r.headers.get('ratelimit'), '"edge-ip";r=0', 'no reset time: the binding does not say one');
      assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.match(r.body, /edge-ip/);
    }
  });

  it('store "durable_object": exact, 30 requests at once on two paths let exactly the burst of 10 through', async () => {
    const { url } = await start({ rate_limit: { name: 'do-ip', store: 'durable_object', rate: '10/h', burst: 10, headers: true } });
    const hitsBefore = backend.hits.total;
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => get(`${url}/${i % 2 ? 'a' : 'b'}/${i}`)));
    const statuses = answers.map((a) => a.status);
    assert.equal(statuses.filter((s) => s === 200).length, 10, statuses.join());
    assert.equal(statuses.filter((s) => s === 429).length, 20, statuses.join());
    assert.equal(backend.hits.total - hitsBefore, 10);
    // Each allowed request saw its own count in the object: remaining 9 down to 0.
    const remaining = answers.filter((a) => a.status === 200).map((a) => Number(/;r=(\d+)/.exec(a.headers.get('ratelimit') ?? '')?.[1]));
    assert.deepEqual(remaining.sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const stats = (await (await fetch(`${url}/api/stats`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { rate_limits: Array<Record<string, unknown>> };
    assert.deepEqual(
      stats.rate_limits.map(({ name, store, exactness, allowed, refused }) => ({ name, store, exactness, allowed, refused })),
      [{ name: 'do-ip', store: 'durable_object', exactness: 'exact', allowed: 10, refused: 20 }],
    );
    // 10 per hour: the next request would be allowed in 6 minutes.
    for (const a of answers.filter((x) => x.status === 429)) {
      const after = Number(a.headers.get('retry-after'));
      assert.ok(after > 300 && after <= 360, `retry-after ${after}`);
    }
  });

  it('a limit naming a rate-limit binding the Worker lacks gets the config-error page naming the field', async () => {
    const { url } = await start({ rate_limit: { store: 'edge', binding: 'NO_SUCH_LIMITER', rate: '5/m' } });
    const r = await get(`${url}/`);
    assert.equal(r.status, 500);
    const body = JSON.parse(r.body) as { type: string; errors: string[] };
    assert.equal(body.type, 'urn:switchyard:problem:invalid-config');
    assert.equal(body.errors.length, 1, body.errors.join('\n'));
    assert.match(body.errors[0], /^SWITCHYARD_CONFIG: rate_limit\.(store|binding): "edge" needs the NO_SUCH_LIMITER rate-limit binding \(Cloudflare Workers; declared in wrangler\.toml/);
  });
});
