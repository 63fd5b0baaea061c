/**
 * What a client is told when its attempt fails, for every kind of failure and
 * every way a backend's response head can be wrong: through the whole app
 * (attempt → respond) with the Node entry's transport, against scripted
 * backends on 127.0.0.1. The same cases on every runtime entry are in
 * test/conformance/backends-suite.ts.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { testConfig } from '../../test/fixtures/config.ts';
import { HOSTILE_HEADS, sentBy } from '../../test/fixtures/hostile-heads.ts';
import { closedPort, scriptedServer, type Script, type ScriptedServer } from '../../test/fixtures/scripted-http.ts';
import { createApp } from '../app.ts';
import type { Config } from '../config/types.ts';
import { nodeHmac } from '../runtime/hashes.ts';
import { undiciTransport } from '../transport/undici.ts';

const transport = undiciTransport();
after(() => transport.close?.());

function make(config: Config) {
  return createApp({ config, transport, hmac: nodeHmac, clientIp: () => '127.0.0.1' });
}

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  attempts: Array<{ server: string; error: string }>;
}

/** One POST (never retried after it may have reached the server) to a balancer in front of `url` alone. */
async function failOnce(url: string, over: Partial<Config> = {}) {
  const { app, balancer } = make(testConfig([url], over));
  const res = await app.request('/x', { method: 'POST', body: 'x' }, {});
  assert.equal(res.headers.get('content-type'), 'application/problem+json');
  const problem = (await res.json()) as Problem;
  const server = (await balancer.status()).servers[new URL(url).host] as { errors: number; last_error: { message: string } | null; ejected_until: string | null };
  return { status: res.status, problem, server };
}

const servers: ScriptedServer[] = [];
async function serve(script: Script, options?: { onHead?: boolean }): Promise<ScriptedServer> {
  const s = await scriptedServer(script, options);
  servers.push(s);
  return s;
}
after(() => Promise.all(servers.map((s) => s.close())));

describe('an upstream error reads as a sentence naming the backend, for every kind', () => {
  // [kind, the backend (refused: no server), attempt timeout ms, status, the error it must read]
  const table: Array<[string, Script | 'refused', number, number, (where: string) => RegExp]> = [
    ['connect', 'refused', 1000, 502, (w) => new RegExp(`^connect: could not connect to ${w} \\(ECONNREFUSED\\)$`)],
    ['reset', (_req, c) => c.reset(), 1000, 502, (w) => new RegExp(`^reset: ${w} closed the connection before a complete response \\(.+\\)$`)],
    ['timeout (the attempt’s own limit, not a numeric code)', () => {}, 200, 504, (w) => new RegExp(`^timeout: no response headers from ${w} within 200 ms$`)],
    ['timeout of 1.5 s', () => {}, 1500, 504, (w) => new RegExp(`^timeout: no response headers from ${w} within 1.5 s$`)],
    ['protocol', async (_req, c) => { await c.write('this is not http\r\n\r\n'); c.close(); }, 1000, 502, (w) => new RegExp(`^protocol: ${w} sent an invalid response \\(.+\\)$`)],
  ];
  for (const [kind, script, timeoutMs, status, reads] of table) {
    it(kind, async () => {
      const url = script === 'refused' ? `http://127.0.0.1:${await closedPort()}` : (await serve(script)).origin;
      const where = new URL(url).host.replace(/\./g, '\\.');
      const got = await failOnce(url, { timeoutMs });
      assert.equal(got.status, status);
      assert.equal(got.problem.attempts.length, 1);
      assert.match(got.problem.attempts[0].error, reads(where));
      assert.ok(got.problem.detail.startsWith(`1 attempt(s) failed; last: ${got.problem.attempts[0].error}`), got.problem.detail);
      assert.equal(got.server.last_error?.message, got.problem.attempts[0].error, 'the same words in /api/stats');
    });
  }
});

describe('a response head the backend got wrong is a 502 saying what, counted against the backend', () => {
  for (const h of HOSTILE_HEADS) {
    it(h.name, async () => {
      const s = await serve(h.script);
      const got = await failOnce(s.origin);
      assert.equal(got.status, 502);
      assert.equal(got.problem.title, 'Bad gateway');
      assert.match(got.problem.detail, new RegExp(`last: protocol: 127\\.0\\.0\\.1:${s.port} sent ${sentBy(h, 'undici')}`), got.problem.detail);
      assert.equal(got.server.errors, 1);
      assert.ok(got.server.ejected_until, 'passive health counted it (max_fails 1 ejects)');
    });
  }
});
