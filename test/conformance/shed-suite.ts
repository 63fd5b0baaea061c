/**
 * The load-shedding conformance suite, on every runtime entry, over HTTP
 * against real backends on 127.0.0.1: `shed_percent` set at run time through
 * `PATCH PREFIX/services/NAME` (with the admin token) refuses about that share
 * of new requests with 503 and `Retry-After`, takes low-priority requests
 * first and requests with a sticky session last, and what passes reaches the
 * servers (counted there as well as in the statuses).
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startBackend, type TestBackend } from '../fixtures/backends.ts';
import { waitFor } from '../fixtures/wait.ts';
import type { Running } from './harness.ts';
import type { Starter } from './suite.ts';

const TOKEN = 'conformance-shed-token';
const PREFIX = '/_lb';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

function send(agent: Agent, url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export function runShedConformance(name: string, start: Starter, config: Record<string, unknown> = {}): void {
  describe(`load shedding conformance: ${name}`, { timeout: 180_000 }, () => {
    let plain: TestBackend, web1: TestBackend, web2: TestBackend;
    let lb: Running;
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const admin = (path: string, method = 'GET', body?: unknown) =>
      send(agent, `${lb.url}${PREFIX}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const service = async (svc: string) => (JSON.parse((await admin(`/services/${svc}`)).text) as { service: { shed_percent: number; shed_percent_source: string } }).service;
    const setShed = async (svc: string, percent: number | null) => {
      const res = await admin(`/services/${svc}`, 'PATCH', { shed_percent: percent });
      assert.equal(res.status, 200, res.text);
      assert.equal((JSON.parse(res.text) as { service: { shed_percent: number } }).service.shed_percent, percent ?? 0);
      await waitFor(`${svc} sheds ${percent ?? 'its settings'}`, () => service(svc), (s) => s.shed_percent === (percent ?? 0));
    };
    /** Whether an answer is the shedding 503, checking its shape. */
    const isShed = (r: Answer, percent: number) => {
      if (r.status !== 503) {
        assert.equal(r.status, 200, r.text);
        return false;
      }
      const p = JSON.parse(r.text) as { type: string; shed_percent: number };
      assert.deepEqual([p.type, p.shed_percent], ['urn:switchyard:problem:shedding-load', percent]);
      assert.equal(r.headers['retry-after'], String(Math.min(10, Math.max(1, Math.ceil(percent / 10)))));
      return true;
    };

    before(async () => {
      [plain, web1, web2] = await Promise.all(['plain', 'web1', 'web2'].map((n) => startBackend(n)));
      lb = await start({
        load_balancer: { host: '127.0.0.1', port: 0 },
        admin: { prefix: PREFIX, token: TOKEN },
        health_check: { enabled: false },
        timeout: 2,
        services: {
          plain: { servers: [{ url: plain.url }] },
          web: {
            servers: [{ url: web1.url }, { url: web2.url }],
            sticky: { cookie: 'SY', secret: 'conformance-sticky-secret' },
            priority: { header: 'x-priority', low: ['batch'] },
          },
        },
        routes: [
          { name: 'plain', match: { path_prefix: '/plain/' }, service: 'plain' },
          { name: 'web', match: { path_prefix: '/' }, service: 'web' },
        ],
        log_level: 'warn',
        ...config,
      });
    });
    after(async () => {
      agent.destroy();
      await lb?.stop('SIGKILL');
      await Promise.all([plain, web1, web2].map((b) => b?.close()));
    });

    it('PATCH to 50% sheds 40-60% of 400 requests with 503 and Retry-After; back to the config (0) sheds none', async () => {
      await setShed('plain', 50);
      assert.equal((await service('plain')).shed_percent_source, 'api');
      const before = plain.hits.total;
      let shed = 0;
      // 8 at a time; one class of traffic, so the order they arrive in does not matter.
      for (let i = 0; i < 50; i++) {
        const answers = await Promise.all(Array.from({ length: 8 }, (_, k) => send(agent, `${lb.url}/plain/echo?i=${i * 8 + k}`)));
        shed += answers.filter((r) => isShed(r, 50)).length;
      }
      // Binomial(400, 0.5): mean 200, sd 10; 160-240 is 4 sd either side.
      assert.ok(shed >= 160 && shed <= 240, `${shed} of 400 shed`);
      assert.equal(plain.hits.total - before, 400 - shed, 'the server received exactly the requests not shed');

      await setShed('plain', null);
      assert.equal((await service('plain')).shed_percent_source, 'config');
      const after = plain.hits.total;
      for (let i = 0; i < 10; i++) {
        const answers = await Promise.all(Array.from({ length: 8 }, () => send(agent, `${lb.url}/plain/echo`)));
        assert.equal(answers.filter((r) => isShed(r, 0)).length, 0);
      }
      assert.equal(plain.hits.total - after, 80);
    });

    it('sheds low priority first and sticky sessions last: at 50%, every low one, about half without a session, no session', async () => {
      const first = await send(agent, `${lb.url}/start`);
      assert.equal(first.status, 200);
      const cookie = ([] as string[]).concat(first.headers['set-cookie'] ?? []).find((c) => c.startsWith('SY='))!.split(';')[0];
      await setShed('web', 50);
      const before = web1.hits.total + web2.hits.total;
      const shed = { none: 0, session: 0, low: 0 };
      let served = 0;
      const one = async (kind: keyof typeof shed, headers: Record<string, string>) => {
        if (isShed(await send(agent, `${lb.url}/page`, { headers }), 50)) shed[kind]++;
        else served++;
      };
      // One at a time, so the mix the balancer measures is this one from the start:
      // each round 2 without a session, 1 with, 1 low priority (the shares 50/25/25).
      for (let round = 0; round < 50; round++) {
        await one('none', {});
        await one('none', {});
        await one('session', { cookie });
        await one('low', { 'x-priority': 'batch' });
      }
      assert.equal(shed.session, 0, 'no request with a sticky session was shed');
      assert.equal(shed.low, 50, 'every low-priority request was shed');
      // Those without a session are shed with p = 1/2 once the mix is measured: Binomial(100, 0.5), sd 5; 30-70 is 4 sd.
      assert.ok(shed.none >= 30 && shed.none <= 70, `${shed.none} of 100 without a session shed`);
      assert.equal(web1.hits.total + web2.hits.total - before, served, 'the servers received exactly the requests not shed');
      await setShed('web', 0);
    });
  });
}
