/**
 * Worker internals in workerd (Miniflare): cron rounds, KV written once per
 * round only on change, the Durable Object's alarm, fleet counters, edge auth.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Miniflare } from 'miniflare';
import { startBackend, type TestBackend } from '../fixtures/backends.ts';
import { startMiniflare } from '../fixtures/worker.ts';
import { consistentHash } from '../../src/policies/consistent-hash.ts';
import { always, ctx, options } from '../../src/policies/fixtures.ts';
import { backendFromSpec } from '../../src/core/pool.ts';
import { nodeHmac } from '../../src/runtime/hashes.ts';
import { waitFor } from '../fixtures/wait.ts';

const TOKEN = 'edge-admin-token';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


interface Rpc {
  getDoc(key: string): Promise<string | null>;
  alarmAt(): Promise<number | null>;
  ensureAlarm(): Promise<number>;
}

describe('Worker internals (workerd)', { timeout: 120_000 }, () => {
  let a: TestBackend, b: TestBackend;
  const open: Miniflare[] = [];
  const start = async (config: Record<string, unknown>, vars: Record<string, string> = {}) => {
    const r = await startMiniflare({ log_level: 'error', ...config }, vars);
    open.push(r.mf);
    return r;
  };
  const stub = async (mf: Miniflare) => {
    const ns = await mf.getDurableObjectNamespace('SWITCHYARD_STATE');
    return ns.get(ns.idFromName('switchyard')) as unknown as Rpc;
  };
  before(async () => {
    [a, b] = await Promise.all([startBackend('A'), startBackend('B')]);
  });
  after(async () => {
    await Promise.all(open.map((m) => m.dispose()));
    await Promise.all([a.close(), b.close()]);
  });

  it('cron runs a health round and KV holds the whole map, written only when it changed', async () => {
    a.mode = 'ok';
    const { mf, url } = await start({ servers: [{ url: a.url }, { url: b.url }], storage: 'kv', health_check: { interval: 0.1, fast_interval: 0.1, fall: 1, rise: 1, jitter: 0 } });
    const kv = await mf.getKVNamespace('SWITCHYARD_KV');
    const health = async () => {
      const doc = JSON.parse((await kv.get('switchyard:health', 'text')) ?? 'null') as { updated_at: number; services: Record<string, Record<string, { status: string }>> } | null;
      return doc && { updated_at: doc.updated_at, servers: doc.services.default };
    };
    const cron = async () => (await mf.getWorker()).scheduled({ cron: '* * * * *' });
    await cron();
    const first = await waitFor('first round written', health, (h) => h !== null, 5000);
    assert.deepEqual(Object.keys(first!.servers).sort(), [a.id, b.id].sort());
    assert.equal(first!.servers[a.id].status, 'healthy');
    // The round the isolate ran, as its own /api/stats shows it (KV is written only on a change).
    const checkedAt = async () => ((await (await fetch(`${url}/api/stats`)).json()) as { servers: Record<string, { last_check: { at: string } | null }> }).servers[a.id].last_check?.at ?? '';
    const before = await checkedAt();
    await sleep(150); // the interval (0.1 s) passes: the servers are due again
    await cron();
    await waitFor('a second round', checkedAt, (at) => at > before, 5000);
    assert.equal((await health())!.updated_at, first!.updated_at, 'a round that changed nothing writes nothing');
    a.mode = 'unhealthy';
    await sleep(150); // due again
    await cron();
    const changed = await waitFor('changed round written', health, (h) => h!.updated_at !== first!.updated_at, 5000);
    assert.equal(changed!.servers[a.id].status, 'unhealthy');
    assert.equal(changed!.servers[b.id].status, 'healthy');
    a.mode = 'ok';
  });

  it('the Durable Object alarm runs rounds every interval and re-arms; cron arms it without any request', async () => {
    const { mf } = await start({ servers: [{ url: a.url }], storage: 'durable_object', health_check: { interval: 0.2, fast_interval: 0.2, jitter: 0 } });
    const s = await stub(mf);
    assert.equal(await s.alarmAt(), null, 'nothing armed before cron or a request');
    await (await mf.getWorker()).scheduled({ cron: '* * * * *' });
    const at = await waitFor('alarm armed', () => s.alarmAt(), (t) => t !== null, 3000);
    assert.ok(at! > Date.now() - 1000);
    const checkAt = async () => (JSON.parse((await s.getDoc('health')) ?? '{"services":{}}') as { services: Record<string, Record<string, { last_check?: { at: number } }>> }).services.default?.[a.id]?.last_check?.at ?? 0;
    const t1 = await waitFor('first round', checkAt, (t) => t > 0, 3000);
    const t2 = await waitFor('a later round', checkAt, (t) => t > t1, 3000);
    assert.ok(t2 - t1 < 1500, `rounds ${t2 - t1} ms apart (interval 200 ms)`);
    assert.notEqual(await s.alarmAt(), null, 're-armed after firing');
  });

  it('the Durable Object aggregates counters from batched isolate reports', async () => {
    const { mf, url } = await start({ servers: [{ url: a.url }, { url: b.url }], storage: 'durable_object', health_check: { enabled: false } });
    let sent = 0;
    for (let i = 0; i < 12; i++, sent++) await (await fetch(`${url}/echo`)).arrayBuffer();
    await sleep(2100); // the isolate reports at most every 2 s
    for (let i = 0; i < 12; i++, sent++) await (await fetch(`${url}/echo`)).arrayBuffer();
    await sleep(2100);
    await (await fetch(`${url}/echo`)).arrayBuffer();
    sent++;
    const fleet = await waitFor(
      'fleet totals',
      async () => ((await (await fetch(`${url}/api/stats`)).json()) as { fleet: { total_requests: number; reports: number; age_ms: number } }).fleet,
      (f) => f.total_requests === sent,
      6000,
    );
    assert.ok(fleet.reports >= 2 && fleet.reports < sent, `${fleet.reports} batched reports for ${sent} requests`);
    assert.equal(typeof fleet.age_ms, 'number');
    void mf;
  });

  it('with memory or kv, /api/stats says its counters are per isolate', async () => {
    const { url } = await start({ servers: [{ url: a.url }], storage: 'memory' });
    const s = (await (await fetch(`${url}/api/stats`)).json()) as { counters_scope: string; fleet: unknown; note: string };
    assert.equal(s.counters_scope, 'isolate');
    assert.equal(s.fleet, null);
    assert.match(s.note, /per isolate/);
  });

  it('consistent_hash with md5 and sha1 runs at the edge (node:crypto under nodejs_compat), choosing as Node does', async () => {
    for (const hash_function of ['md5', 'sha1'] as const) {
      const { url } = await start({
        load_balancer: { algorithm: 'consistent_hash' },
        consistent_hash: { hash_function, key: 'query:user' },
        servers: [{ url: a.url }, { url: b.url }],
        storage: 'memory',
      });
      // The same ring built here with Node's digest says where each key belongs.
      const ring = consistentHash([a, b].map((x) => backendFromSpec({ url: x.url, weight: 1, backup: false })), options({ hash: { virtualNodes: 150, hashFunction: hash_function, key: 'query:user' } }));
      for (let i = 0; i < 12; i++) {
        const user = `u${i % 6}`;
        const res = await fetch(`${url}/echo?user=${user}`);
        assert.equal(res.status, 200, hash_function);
        await res.arrayBuffer();
        assert.equal(res.headers.get('x-served-by'), ring.pick(ctx(`/echo?user=${user}`), always)!.id, `${hash_function}: ${user}`);
      }
    }
  });

  it('admin writes need the token at the edge, and persist in the Durable Object', async () => {
    const { url: noToken } = await start({ servers: [{ url: a.url }], storage: 'memory' });
    const denied = await fetch(`${noToken}/api/servers`, { method: 'POST', body: JSON.stringify({ url: b.url }) });
    assert.equal(denied.status, 403);
    assert.match(((await denied.json()) as { detail: string }).detail, /wrangler secret put LB_ADMIN_TOKEN/);
    const { mf, url } = await start({ servers: [{ url: a.url }], storage: 'durable_object', health_check: { enabled: false } }, { LB_ADMIN_TOKEN: TOKEN });
    const added = await fetch(`${url}/api/servers`, { method: 'POST', body: JSON.stringify({ url: b.url }), headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(added.status, 201);
    await added.arrayBuffer();
    const doc = JSON.parse((await (await stub(mf)).getDoc('services'))!) as { services: { default: { servers: Array<{ url: string }> } } };
    assert.deepEqual(doc.services.default.servers.map((x) => x.url), [a.url, b.url], 'stored in the Durable Object for every isolate');
  });

  it('sticky cookies at the edge are signed with one secret kept in the Durable Object, or LB_STICKY_SECRET', async () => {
    const tokenOf = (secret: string, id: string) => Buffer.from(nodeHmac(secret, id).subarray(0, 12)).toString('base64url');
    const cookieOf = (res: Response) => res.headers.getSetCookie().find((x) => x.startsWith('SY='))!.split(';')[0].slice(3).split('.')[0];
    const { mf, url } = await start({ servers: [{ url: a.url }], storage: 'durable_object', sticky: { cookie: 'SY' }, health_check: { enabled: false } });
    const res = await fetch(`${url}/echo`);
    await res.arrayBuffer();
    const doc = JSON.parse((await (await stub(mf)).getDoc('secrets'))!) as { sticky: string };
    assert.equal(cookieOf(res), tokenOf(doc.sticky, a.id), 'signed with the stored secret, which every isolate reads');
    const secret = 'from-a-wrangler-secret';
    const { url: withSecret } = await start({ servers: [{ url: a.url }], storage: 'memory', sticky: { cookie: 'SY' }, health_check: { enabled: false } }, { LB_STICKY_SECRET: secret });
    const r2 = await fetch(`${withSecret}/echo`);
    await r2.arrayBuffer();
    assert.equal(cookieOf(r2), tokenOf(secret, a.id));
  });

  it('services, routes and registrations made at the edge live in the Durable Object, and its alarm checks every service', async () => {
    const { mf, url } = await start({ servers: [{ url: a.url }], storage: 'durable_object', health_check: { interval: 0.2, fast_interval: 0.2, jitter: 0 }, admin: { prefix: '/_lb' } }, { LB_ADMIN_TOKEN: TOKEN });
    const write = (path: string, method: string, body: unknown) => fetch(`${url}/_lb${path}`, { method, body: JSON.stringify(body), headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal((await write('/services/api', 'PUT', { servers: [{ url: b.url }], health_check: { path: '/health' } })).status, 201);
    assert.equal((await write('/v1/services/7/register?image_name=app', 'POST', [{ container_id: 'c1', name: 'app-1', port: a.port, image_id: 7 }])).status, 201);
    assert.equal((await write('/routes', 'PUT', [{ match: { path_prefix: '/v2/' }, service: 'api', strip_prefix: true }])).status, 200);
    const s = await stub(mf);
    const doc = JSON.parse((await s.getDoc('services'))!) as { services: Record<string, { origin: string }>; routes: Array<{ service: string }> };
    assert.deepEqual(Object.fromEntries(Object.entries(doc.services).map(([k, v]) => [k, v.origin])), { default: 'config', api: 'api', '7': 'registration' });
    assert.equal(doc.routes[0].service, 'api');
    const res = await fetch(`${url}/v2/echo`);
    assert.equal(((await res.json()) as { handled_by: string }).handled_by, 'B', 'the route reaches the new service');
    const checked = async () => Object.keys((JSON.parse((await s.getDoc('health')) ?? '{"services":{}}') as { services: Record<string, unknown> }).services).sort();
    await waitFor('every service checked by the alarm', checked, (names) => names.join() === ['7', 'api', 'default'].join(), 5000);
  });

  it('an invalid SWITCHYARD_CONFIG answers 500 problem+json naming the field', async () => {
    const { url } = await start({ servers: [{ url: a.url, weight: -1 }] });
    const r = await fetch(`${url}/anything`);
    assert.equal(r.status, 500);
    assert.equal(r.headers.get('content-type'), 'application/problem+json');
    assert.match(((await r.json()) as { errors: string[] }).errors.join('\n'), /servers\[0\]\.weight: must be a positive number, got -1/);
  });
});
