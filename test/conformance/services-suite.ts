/**
 * The services conformance suite: several applications behind one balancer,
 * on every runtime entry, over HTTP against real backends on 127.0.0.1.
 * Clients are told apart by their source address (127.0.1.x), as the
 * balancer sees a real client's.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startBackend, type TestBackend } from '../fixtures/backends.ts';
import type { Starter } from './suite.ts';
import type { Running } from './harness.ts';

const TOKEN = 'conformance-token';
const PREFIX = '/_lb';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { handled_by?: string; path?: string; query?: string; [k: string]: unknown };
}

/** One request from `agent`'s source address; the body parsed as JSON when it is. */
function send(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; agent?: Agent } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: options.agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let body: Answer['body'] = {};
        try {
          body = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

export function runServicesConformance(name: string, start: Starter, config: Record<string, unknown> = {}): void {
  describe(`services conformance: ${name}`, { timeout: 180_000 }, () => {
    let api: TestBackend, web1: TestBackend, web2: TestBackend, next: TestBackend, maint: TestBackend;
    let lb: Running;
    const admin = (path: string, method = 'GET', body?: unknown) =>
      send(`${lb.url}${PREFIX}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const stats = async () => (await admin('/stats')).body as unknown as { services: Record<string, { healthy_servers: number; total_servers: number; total_requests: number }>; routes: Array<{ name: string; requests: number; split: Array<{ requests: number }> | null }> };

    const routes = () => [
      { name: 'api-host', match: { host: 'api.example.com' }, service: 'api' },
      { name: 'api-prefix', match: { path_prefix: '/api/' }, service: 'api', strip_prefix: true },
      { name: 'canary-header', match: { headers: { 'x-canary': 'always' } }, service: 'web_next' },
      { name: 'site', match: { path_prefix: '/' }, split: [{ service: 'web', weight: 95 }, { service: 'web_next', weight: 5 }], fallback: 'maintenance' },
    ];

    before(async () => {
      [api, web1, web2, next, maint] = await Promise.all(['api', 'web1', 'web2', 'next', 'maint'].map((n) => startBackend(n)));
      lb = await start({
        load_balancer: { host: '127.0.0.1', port: 0 },
        admin: { prefix: PREFIX, token: TOKEN },
        health_check: { interval: 0.2, timeout: 0.5, rise: 1, fall: 1, path: '/health' },
        timeout: 2,
        services: {
          api: { servers: [{ url: api.url }], algorithm: 'least_connections' },
          web: { servers: [{ url: web1.url }, { url: web2.url }] },
          web_next: { servers: [{ url: next.url }], sticky: {} },
          maintenance: { servers: [{ url: maint.url }] },
        },
        routes: routes(),
        log_level: 'warn',
        ...config,
      });
    });
    after(async () => {
      await lb?.stop('SIGKILL');
      await Promise.all([api, web1, web2, next, maint].map((b) => b?.close()));
    });
    beforeEach(async () => {
      for (const b of [api, web1, web2, next, maint]) b.mode = 'ok';
      await waitFor('every service healthy', async () => Object.values((await stats()).services).every((s) => s.healthy_servers === s.total_servers), 10_000);
    });

    it('routes by host, and by prefix with the prefix stripped and the query kept', async () => {
      const byHost = await send(`${lb.url}/users?page=2`, { headers: { host: 'api.example.com' } });
      assert.deepEqual([byHost.status, byHost.body.handled_by, byHost.body.path, byHost.body.query], [200, 'api', '/users', '?page=2']);
      assert.equal(byHost.headers['x-served-by'], `api/${api.id}`);
      const byPrefix = await send(`${lb.url}/api/orders?x=1`);
      assert.deepEqual([byPrefix.body.handled_by, byPrefix.body.path, byPrefix.body.query], ['api', '/orders', '?x=1']);
    });

    it('sends a header canary to its service', async () => {
      for (let i = 0; i < 4; i++) assert.equal((await send(`${lb.url}/`, { headers: { 'x-canary': 'always' } })).body.handled_by, 'next');
    });

    it('splits 95/5 over 2,000 requests from 250 clients, each client staying on its side', async () => {
      const before = (await stats()).routes.find((r) => r.name === 'site')!;
      let canaryClients = 0;
      let canaryRequests = 0;
      for (let c = 0; c < 250; c++) {
        const agent = new Agent({ keepAlive: true, localAddress: `127.0.1.${c + 1}` } as ConstructorParameters<typeof Agent>[0]);
        const sides = new Set<string>();
        let cookie = '';
        try {
          for (let k = 0; k < 8; k++) {
            const r = await send(`${lb.url}/page/${k}`, { agent, headers: cookie ? { cookie } : {} });
            assert.equal(r.status, 200);
            const side = r.body.handled_by === 'next' ? 'canary' : 'main';
            sides.add(side);
            if (side === 'canary') canaryRequests++;
            const set = ([] as string[]).concat(r.headers['set-cookie'] ?? []).find((x) => x.startsWith('SWITCHYARD_SERVER_web_next='));
            if (set) cookie = set.split(';')[0];
          }
        } finally {
          agent.destroy();
        }
        assert.equal(sides.size, 1, `client 127.0.1.${c + 1} changed sides`);
        if (sides.has('canary')) canaryClients++;
      }
      // 5% of 250 clients is 12.5; the hash of each address places them: allow 4-25 (±2.7 standard deviations).
      assert.ok(canaryClients >= 4 && canaryClients <= 25, `${canaryClients} of 250 clients on the canary`);
      const site = (await stats()).routes.find((r) => r.name === 'site')!;
      assert.equal(site.requests - before.requests, 2000);
      assert.equal(site.split![1].requests - before.split![1].requests, canaryRequests);
    });

    it('falls back to the maintenance service while the chosen one is all down, and back when it returns', async () => {
      web1.mode = 'unhealthy';
      web2.mode = 'unhealthy';
      next.mode = 'unhealthy';
      await waitFor('web and web_next down', async () => {
        const s = (await stats()).services;
        return s.web.healthy_servers === 0 && s.web_next.healthy_servers === 0;
      }, 5000);
      for (let i = 0; i < 4; i++) assert.equal((await send(`${lb.url}/x${i}`)).body.handled_by, 'maint');
      web1.mode = 'ok';
      web2.mode = 'ok';
      next.mode = 'ok';
      await waitFor('web back', async () => (await stats()).services.web.healthy_servers === 2, 5000);
      assert.notEqual((await send(`${lb.url}/back`)).body.handled_by, 'maint');
    });

    it("seed 003: register → proxy → stats → health-check", async () => {
      const containers = [
        { container_id: 'container-1', name: 'my-app-1', port: web1.port, image_id: 1, status: 'healthy' },
        { container_id: 'container-2', name: 'my-app-2', port: web2.port, image_id: 1, status: 'healthy' },
      ];
      const reg = await admin('/v1/services/1/register?image_name=my-app', 'POST', containers);
      assert.ok(reg.status === 201 || reg.status === 200, JSON.stringify(reg.body));
      const seen = new Set<unknown>();
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
        const r = await send(`${lb.url}${PREFIX}/v1/proxy/1/api/users?id=7`, { method, ...(method === 'POST' || method === 'PUT' || method === 'PATCH' ? { body: 'x' } : {}) });
        assert.deepEqual([r.status, r.body.path, r.body.query], [200, '/api/users', '?id=7'], method);
        seen.add(r.body.handled_by);
      }
      assert.deepEqual([...seen].sort(), ['web1', 'web2']);
      const v1 = (await admin('/v1/stats')).body as unknown as { services: Record<string, { total_requests: number }> };
      assert.ok(v1.services['1'].total_requests >= 5);
      const round = (await admin('/v1/health-check', 'POST')).body as unknown as { services: Record<string, Record<string, { status: string }>> };
      assert.deepEqual(Object.keys(round.services['1']).sort(), [web1.id, web2.id].sort());
      const one = (await admin('/v1/services/1')).body as unknown as { image_name: string; total_containers: number };
      assert.deepEqual([one.image_name, one.total_containers], ['my-app', 2]);
    });

    it('replaces the route list at once, and a bad list changes nothing', async () => {
      const bad = await admin('/routes', 'PUT', [{ match: { path_prefix: '/' }, service: 'web' }, { service: 'no-such-service' }]);
      assert.equal(bad.status, 400);
      assert.match(JSON.stringify(bad.body.errors), /\[1\]\.service: no such service/);
      assert.equal((await send(`${lb.url}/api/x`)).body.handled_by, 'api', 'the old routes still stand');
      try {
        const good = await admin('/routes', 'PUT', [{ match: { path_prefix: '/' }, service: 'maintenance' }]);
        assert.equal(good.status, 200, JSON.stringify(good.body));
        await waitFor('the new list in use', async () => (await send(`${lb.url}/api/x`)).body.handled_by === 'maint', 3000);
      } finally {
        assert.equal((await admin('/routes', 'PUT', routes())).status, 200);
        await waitFor('the first list back', async () => (await send(`${lb.url}/api/x`)).body.handled_by === 'api', 3000);
      }
    });
  });
}
