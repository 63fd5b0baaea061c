/**
 * Admin writes from two isolates at once, in workerd. Two Workers in one
 * Miniflare run the same bundle, so each has its own isolate and its own
 * SharedState copy (module state is per isolate), and both bind the one
 * Durable Object class of the first, or the one KV namespace: two isolates of
 * a deployed Worker, side by side. A third, tiny Worker sends a request to each
 * in the same turn, so the two arrive together inside workerd.
 */
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Miniflare } from 'miniflare';
import { bundleWorker, compatibility } from '../fixtures/worker.ts';
import { waitFor } from '../fixtures/wait.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const TOKEN = 'edge-admin-token';
const ISOLATES = ['one', 'two'] as const;

interface ServicesDoc {
  version: number;
  services: { default: { servers: Array<{ url: string }> } };
}

interface WritesReport {
  atomic: boolean;
  written: number;
  retried: number;
  lost: number;
  last_lost: { change: string; version: number; written_at: string; found_at: string } | null;
}



/** The Worker that sends each request of its body to its isolate (a service binding) at once, and answers every answer. */
const TOGETHER = `export default {
  async fetch(request, env) {
    const sends = await request.json();
    const answers = await Promise.all(sends.map(async ({ isolate, path, init }) => {
      const res = await env[isolate].fetch('http://localhost' + path, init);
      return { status: res.status, body: await res.json() };
    }));
    return Response.json(answers);
  },
};`;

/**
 * A Miniflare with one Worker per isolate name, sharing the first's Durable
 * Object and one KV namespace; what the Workers log goes to `logs`.
 */
async function isolates(storage: 'durable_object' | 'kv', logs: string[] = []): Promise<Miniflare> {
  const scriptPath = await bundleWorker();
  const config = { servers: [{ url: 'http://127.0.0.1:9000' }], storage, health_check: { enabled: false }, log_level: 'warn' };
  const mf = new Miniflare({
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      for (const stream of [stdout, stderr]) stream.on('data', (chunk: Buffer) => logs.push(...chunk.toString().split('\n').filter(Boolean)));
    },
    workers: ISOLATES.map((name, i) => ({
      name,
      scriptPath,
      modules: true,
      modulesRoot: dirname(scriptPath),
      ...compatibility(),
      bindings: { SWITCHYARD_CONFIG: JSON.stringify(config), LB_ADMIN_TOKEN: TOKEN },
      kvNamespaces: ['SWITCHYARD_KV'],
      durableObjects: { SWITCHYARD_STATE: i === 0 ? { className: 'SwitchyardState', useSQLite: true } : { className: 'SwitchyardState', scriptName: ISOLATES[0], useSQLite: true } },
    })).concat([{ name: 'together', modules: true, script: TOGETHER, ...compatibility(), serviceBindings: Object.fromEntries(ISOLATES.map((n) => [n, n])) } as never]),
  });
  await mf.ready;
  return mf;
}

/** Each isolate's fetcher, asked for once: two requests sent together then leave together. */
const fetchers = new WeakMap<Miniflare, Map<string, ReturnType<Miniflare['getWorker']>>>();

/** A request to one isolate. */
async function call(mf: Miniflare, isolate: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: unknown }> {
  if (!fetchers.has(mf)) fetchers.set(mf, new Map());
  const known = fetchers.get(mf)!;
  if (!known.has(isolate)) known.set(isolate, mf.getWorker(isolate));
  const worker = await known.get(isolate)!;
  const res = await worker.fetch(`http://localhost${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: res.status, body: await res.json() };
}

/** One POST per isolate, `bodies[i]` to `ISOLATES[i]`, arriving together; their answers in that order. */
async function postTogether(mf: Miniflare, path: string, bodies: unknown[]): Promise<Array<{ status: number; body: unknown }>> {
  const init = (body: unknown) => ({ method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const res = await (await mf.getWorker('together')).fetch('http://localhost/', { method: 'POST', body: JSON.stringify(bodies.map((body, i) => ({ isolate: ISOLATES[i], path, init: init(body) }))) });
  return (await res.json()) as Array<{ status: number; body: unknown }>;
}

const serversIn = (doc: ServicesDoc) => doc.services.default.servers.map((s) => s.url);
const writesOf = async (mf: Miniflare, isolate: string) => ((await call(mf, isolate, '/api/stats')).body as { storage_writes: WritesReport }).storage_writes;

describe('admin writes from two isolates at once (workerd)', { timeout: 120_000 }, () => {
  describe('with the Durable Object: both land', () => {
    let mf: Miniflare;
    before(async () => {
      mf = await isolates('durable_object');
    });
    after(async () => {
      await mf?.dispose();
    });

    it('two isolates add a server each at the same moment: every server is kept, one of two that met applied again to the other\'s document', async () => {
      // Three rounds, or more until two writes have met at the object: how two requests interleave is up to workerd.
      const added: string[] = [];
      let writes: WritesReport[] = [];
      for (let round = 0; round < 20 && (round < 3 || !writes.some((w) => w.retried > 0)); round++) {
        const urls = ISOLATES.map((_, i) => `http://127.0.0.1:${9100 + round * 10 + i}`);
        const answers = await postTogether(mf, '/api/servers', urls.map((url) => ({ url })));
        assert.deepEqual(
          answers.map((a) => a.status),
          [201, 201],
          JSON.stringify(answers.map((a) => a.body)),
        );
        added.push(...urls);
        writes = await Promise.all(ISOLATES.map((isolate) => writesOf(mf, isolate)));
      }
      const ns = await mf.getDurableObjectNamespace('SWITCHYARD_STATE', ISOLATES[0]);
      const stub = ns.get(ns.idFromName('switchyard')) as unknown as { getDoc(key: string): Promise<string | null> };
      const doc = JSON.parse((await stub.getDoc('services'))!) as ServicesDoc;
      assert.deepEqual(doc.services.default.servers.map((s) => s.url).sort(), ['http://127.0.0.1:9000', ...added].sort(), 'no write lost');
      assert.equal(doc.version, added.length, 'one version per write');
      assert.deepEqual(
        writes.map((w) => [w.atomic, w.written]),
        ISOLATES.map(() => [true, added.length / 2]),
      );
      assert.ok(writes.some((w) => w.retried > 0), `two writes met in ${added.length / 2} rounds: ${JSON.stringify(writes)}`);
    });
  });

  describe('with KV: last writer wins, and the isolate whose change was overwritten finds it and says so', () => {
    let mf: Miniflare;
    const logs: string[] = [];
    before(async () => {
      mf = await isolates('kv', logs);
    });
    after(async () => {
      await mf?.dispose();
    });
    const stored = async () => JSON.parse((await (await mf.getKVNamespace('SWITCHYARD_KV', ISOLATES[0])).get('switchyard:services', 'text'))!) as ServicesDoc & { writes: Array<{ version: number; id: string }> };

    it('/api/stats of one isolate shows what another wrote once its 1 s cache is over', async () => {
      const url = 'http://127.0.0.1:9101';
      const ids = async () => Object.keys(((await call(mf, 'one', '/api/stats')).body as { servers: Record<string, unknown> }).servers);
      assert.deepEqual(await ids(), ['127.0.0.1:9000'], 'read once before the other writes');
      assert.equal((await call(mf, 'two', '/api/servers', { method: 'POST', body: { url } })).status, 201);
      await waitFor('the server in the other isolate', ids, (list) => list.includes('127.0.0.1:9101'));
    });

    it('a change another isolate overwrote (both from the same version) is counted in /api/stats and logged at warn, naming it', async () => {
      const url = 'http://127.0.0.1:9201';
      assert.equal((await call(mf, 'one', '/api/servers', { method: 'POST', body: { url } })).status, 201);
      const mine = await stored();
      assert.ok(serversIn(mine).includes(url));
      // What a second isolate does when it read the same version and writes just after: its own change over this one.
      const theirs = structuredClone(mine);
      theirs.services.default.servers = theirs.services.default.servers.filter((s) => s.url !== url).concat({ url: 'http://127.0.0.1:9202' } as never);
      theirs.writes.splice(-1, 1, { version: mine.version, id: 'another-isolate' });
      await (await mf.getKVNamespace('SWITCHYARD_KV', ISOLATES[0])).put('switchyard:services', JSON.stringify(theirs));

      const writes = await waitFor('the lost change found', () => writesOf(mf, 'one'), (w) => w.lost > 0);
      assert.equal(writes.atomic, false);
      assert.equal(writes.lost, 1);
      assert.equal(writes.last_lost?.change, 'add server 127.0.0.1:9201 to service default');
      assert.equal(writes.last_lost?.version, mine.version);
      assert.equal((await writesOf(mf, 'two')).lost, 0, 'the other isolate lost nothing');
      const serving = Object.keys(((await call(mf, 'one', '/api/stats')).body as { servers: Record<string, unknown> }).servers);
      assert.ok(serving.includes('127.0.0.1:9202') && !serving.includes('127.0.0.1:9201'), `it serves what is stored (same version, another write): ${serving}`);
      const line = await waitFor('the warn line', async () => logs.find((l) => l.includes('admin change lost')), (l) => l !== undefined);
      assert.match(line!, /warn admin change lost.* change="add server 127\.0\.0\.1:9201 to service default" version=\d+ store=kv/);
      await sleep(1100); // one more read (the isolate's cache lasts 1 s): counted once
      await writesOf(mf, 'one');
      assert.equal((await writesOf(mf, 'one')).lost, 1, 'counted once');
    });

    it('two isolates add a server each at the same moment: every server is kept or its isolate reports it lost', async () => {
      const start = await stored();
      const mineOf: Record<string, string[]> = { one: [], two: [] };
      const before = Object.fromEntries(await Promise.all(ISOLATES.map(async (i) => [i, await writesOf(mf, i)] as const)));
      const met = () => Promise.all(ISOLATES.map(async (i) => { const w = await writesOf(mf, i); return w.retried - before[i].retried + w.lost - before[i].lost; }));
      for (let round = 0; round < 20 && (round < 3 || (await met()).every((n) => n === 0)); round++) {
        const urls = ISOLATES.map((_, i) => `http://127.0.0.1:${9300 + round * 10 + i}`);
        const answers = await postTogether(mf, '/api/servers', urls.map((url) => ({ url })));
        assert.deepEqual(answers.map((a) => a.status), [201, 201], JSON.stringify(answers.map((a) => a.body)));
        ISOLATES.forEach((isolate, i) => mineOf[isolate].push(urls[i]));
      }
      assert.ok((await met()).some((n) => n > 0), 'two writes met');
      const kept = new Set(serversIn(await stored()));
      for (const isolate of ISOLATES) {
        const missing = mineOf[isolate].filter((u) => !kept.has(u));
        const w = await waitFor(`${isolate} reports its ${missing.length} lost change(s)`, () => writesOf(mf, isolate), (w) => w.lost - before[isolate].lost >= missing.length);
        assert.equal(w.lost - before[isolate].lost, missing.length, `${isolate}: lost ${JSON.stringify(missing)}, reported ${w.lost - before[isolate].lost}`);
      }
      assert.ok(serversIn(await stored()).length > serversIn(start).length);
    });
  });
});
