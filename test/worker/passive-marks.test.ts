/**
 * At the edge the Durable Object owns the health map; an isolate's passive
 * mark (a refused connection) must hold until passing checks bring the server
 * back, whatever failing checks below `fall` the map shows meanwhile.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Miniflare } from 'miniflare';
import { startBackend, type TestBackend } from '../fixtures/backends.ts';
import { startMiniflare } from '../fixtures/worker.ts';

interface Rpc {
  getDoc(key: string): Promise<string | null>;
  runRound(force?: boolean): Promise<unknown>;
}

interface ServerStats {
  status: string;
  last_check: { at: string; ok: boolean } | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a passive mark over the Durable Object health map (workerd)', { timeout: 60_000 }, () => {
  let a: TestBackend, d: TestBackend;
  let mf: Miniflare, url: string;
  let stub: Rpc;
  const server = async (id: string) => ((await (await fetch(`${url}/api/stats`)).json()) as { servers: Record<string, ServerStats> }).servers[id];
  const shared = async (id: string) => {
    const doc = JSON.parse((await stub.getDoc('health')) ?? '{"services":{}}') as { services: Record<string, Record<string, { status: string; consecutive_failures: number; last_check?: { at: number; ok: boolean } }>> };
    return doc.services.default?.[id];
  };
  /** Polls the isolate's view of `id` until `ok`, or fails after `ms` with the last view. */
  const until = async (what: string, id: string, ok: (s: ServerStats) => boolean, ms: number) => {
    const t0 = performance.now();
    let s = await server(id);
    while (!ok(s)) {
      if (performance.now() - t0 > ms) assert.fail(`${what}: not within ${ms} ms (last: ${JSON.stringify(s)})`);
      await sleep(50);
      s = await server(id);
    }
    return s;
  };

  before(async () => {
    [a, d] = await Promise.all([startBackend('A'), startBackend('D')]);
    // Periodic checks a minute apart: the test runs each shared round itself.
    ({ mf, url } = await startMiniflare({
      servers: [{ url: a.url }, { url: d.url }],
      storage: 'durable_object',
      health_check: { interval: 60, fast_interval: 60, down_interval: 60, fall: 3, rise: 2, jitter: 0 },
      log_level: 'error',
    }));
    const ns = await mf.getDurableObjectNamespace('SWITCHYARD_STATE');
    stub = ns.get(ns.idFromName('switchyard')) as unknown as Rpc;
  });
  after(async () => {
    await mf?.dispose();
    await Promise.all([a?.close(), d?.close()]);
  });

  it('failing shared checks below fall keep it down; rise passing checks bring it back', async () => {
    await stub.runRound(true);
    await until('both healthy in the isolate', d.id, (s) => s.status === 'healthy' && s.last_check !== null, 5_000);
    await d.kill();
    // Round robin: within two requests one goes to D, is refused, fails over to A, and marks D down here.
    for (let i = 0; i < 2; i++) assert.equal((await fetch(`${url}/echo`)).status, 200);
    assert.equal((await server(d.id)).status, 'unhealthy', 'the refused connection marked it down');

    // The Durable Object's own check fails once (fall 3): its map still says healthy.
    await stub.runRound(true);
    const after = await shared(d.id);
    assert.deepEqual([after?.status, after?.consecutive_failures, after?.last_check?.ok], ['healthy', 1, false]);
    // The isolate reads the map again (its snapshot lasts 1 s) and shows that check, still down.
    const seen = await until('the failing check seen here', d.id, (s) => Date.parse(s.last_check?.at ?? '') === after!.last_check!.at, 5_000);
    assert.equal(seen.status, 'unhealthy');
    for (let i = 0; i < 6; i++) assert.equal((await fetch(`${url}/echo`)).headers.get('x-served-by'), a.id, 'no request tried the dead server again');

    // Back: two passing checks (rise 2), each seen here, bring it back.
    await d.restart();
    await stub.runRound(true);
    const first = (await shared(d.id))!.last_check!.at;
    const one = await until('the first passing check seen here', d.id, (s) => Date.parse(s.last_check?.at ?? '') === first, 5_000);
    assert.equal(one.status, 'unhealthy', 'one pass is not rise');
    await stub.runRound(true);
    await until('back after rise passing checks', d.id, (s) => s.status === 'healthy', 5_000);
  });
});
