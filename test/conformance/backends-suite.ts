/**
 * The hostile backends conformance suite, on every runtime entry: a backend
 * whose response head is wrong (a status a Response cannot carry, a head over
 * 64 KiB or over 100 fields, a body framed by both Content-Length and
 * Transfer-Encoding) gets the client a 502 problem+json whose detail says what
 * that backend sent and names it, and counts against the backend as any bad
 * response does; never the runtime's own 500, a head passed on, or a 200 whose
 * Content-Length lies. Each backend is its own service behind a route, so one
 * balancer serves every case.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HOSTILE_HEADS, sentBy, type Client } from '../fixtures/hostile-heads.ts';
import { scriptedServer, type Script, type ScriptedServer } from '../fixtures/scripted-http.ts';
import type { Running } from './harness.ts';
import type { Starter } from './suite.ts';

const TOKEN = 'conformance-token';

/** An interim (1xx) answer before the final one: the final answer, or a 502 where the client cannot take it, as `expect` says per client. */
interface Interim {
  name: string;
  script: Script;
  /** `ok`: the client takes the 1xx and the final 200 arrives; else the pattern of what the 502 says was sent. */
  expect: Record<Client, 'ok' | string>;
}

const then200 = (interim: string): Script => async (_req, c) => {
  await c.write(`${interim}\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok`);
};

const INTERIM: readonly Interim[] = [
  {
    name: 'a 100 Continue nobody asked for, then 200',
    script: then200('HTTP/1.1 100 Continue'),
    // undici takes a 100 only after Expect: 100-continue; workerd's fetch hands the 100 on as the answer.
    expect: { undici: 'a response no request was waiting for', bun: 'ok', deno: 'ok', workerd: 'status 100, outside 200-599' },
  },
  {
    name: '103 Early Hints, then 200',
    script: then200('HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload'),
    expect: { undici: 'ok', bun: 'ok', deno: 'ok', workerd: 'status 103, outside 200-599' },
  },
];

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
}

export function runBackendsConformance(name: string, start: Starter, client: Client, config: Record<string, unknown> = {}): void {
  describe(`hostile backends conformance: ${name}`, { timeout: 120_000 }, () => {
    const backends: ScriptedServer[] = [];
    let lb: Running;
    const cases = [...HOSTILE_HEADS.map((h) => h.script), ...INTERIM.map((x) => x.script), (async (_req, c) => c.respond(200, 'OK', [['Content-Length', 2]], 'ok')) as Script];
    const GOOD = cases.length - 1;

    before(async () => {
      for (const script of cases) backends.push(await scriptedServer(script));
      const services: Record<string, unknown> = {};
      const routes: unknown[] = [];
      backends.forEach((b, i) => {
        services[`c${i}`] = { servers: [{ url: b.origin }] };
        routes.push({ name: `c${i}`, match: { path_prefix: `/c${i}/` }, service: `c${i}`, strip_prefix: true });
      });
      lb = await start({
        load_balancer: { host: '127.0.0.1', port: 0 },
        // The checks would see the same heads and take the servers out: these tests are about traffic.
        health_check: { enabled: false },
        timeout: 5,
        admin: { token: TOKEN },
        services,
        routes,
        log_level: 'error',
        ...config,
      });
    });
    after(async () => {
      await lb?.stop('SIGKILL');
      await Promise.all(backends.map((b) => b.close()));
    });

    /** One GET to case `i`'s backend through the balancer. */
    async function through(i: number): Promise<{ status: number; type: string | null; text: string }> {
      const res = await fetch(`${lb.url}/c${i}/x`, { headers: { 'accept-encoding': 'identity' } });
      return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
    }

    async function server(i: number) {
      const res = await fetch(`${lb.url}/api/stats`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const s = (await res.json()) as { services: Record<string, { servers: Record<string, { errors: number; ejected_until: string | null; last_error: { message: string } | null }> }> };
      return s.services[`c${i}`].servers[`127.0.0.1:${backends[i].port}`];
    }

    HOSTILE_HEADS.forEach((h, i) => {
      it(`${h.name}: 502 problem+json saying what the backend sent, counted against it`, async () => {
        const r = await through(i);
        assert.equal(r.status, 502, r.text.slice(0, 300));
        assert.equal(r.type, 'application/problem+json');
        const p = JSON.parse(r.text) as Problem;
        assert.equal(p.title, 'Bad gateway');
        assert.match(p.detail, new RegExp(`last: protocol: 127\\.0\\.0\\.1:${backends[i].port} sent ${sentBy(h, client)}`), p.detail);
        const s = await server(i);
        assert.equal(s.errors, 1);
        assert.match(s.last_error?.message ?? '', /^protocol: /);
        assert.ok(s.ejected_until, 'passive health took it out (max_fails 1)');
      });
    });

    INTERIM.forEach((x, k) => {
      const i = HOSTILE_HEADS.length + k;
      const want = x.expect[client];
      it(`${x.name}: ${want === 'ok' ? 'the final 200' : 'a 502 saying so'}`, async () => {
        const r = await through(i);
        if (want === 'ok') {
          assert.deepEqual([r.status, r.text], [200, 'ok']);
          return;
        }
        assert.equal(r.status, 502, r.text.slice(0, 300));
        assert.match((JSON.parse(r.text) as Problem).detail, new RegExp(`last: protocol: 127\\.0\\.0\\.1:${backends[i].port} sent ${want}`));
      });
    });

    it('still serves a good backend after all of them', async () => {
      assert.deepEqual(await through(GOOD).then((r) => [r.status, r.text]), [200, 'ok']);
    });
  });
}
