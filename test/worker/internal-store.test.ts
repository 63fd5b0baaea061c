/**
 * The StateStore contract on the Durable Object's internal store
 * (`durableObjectStorageStore(ctx.storage)`, what SwitchyardState's balancer
 * reads and writes), inside workerd. The cases run inside a Durable Object of
 * a small test Worker (store-contract.worker.ts), so the production bundle
 * carries no test code; each case gets a fresh object, so its store starts empty.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import type { CaseResult } from './store-contract.worker.ts';

const ROOT = resolve(import.meta.dirname, '../..');

interface StoreContractRpc {
  cases(): Promise<string[]>;
  run(name: string): Promise<CaseResult>;
}

/** The compatibility date and flags wrangler.toml deploys with (as test/fixtures/worker.ts reads them). */
function compatibility(): { compatibilityDate: string; compatibilityFlags: string[] } {
  const toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml);
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml);
  if (!date) throw new Error('wrangler.toml has no compatibility_date');
  return { compatibilityDate: date[1], compatibilityFlags: flags ? [...flags[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]) : [] };
}

async function bundle(): Promise<string> {
  const outfile = join(mkdtempSync(join(tmpdir(), 'switchyard-store-contract-')), 'worker.js');
  const collector = join(import.meta.dirname, 'node-test-collector.ts');
  await build({
    entryPoints: [join(import.meta.dirname, 'store-contract.worker.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    external: ['cloudflare:*', 'node:*'],
    outfile,
    logLevel: 'error',
    plugins: [{ name: 'node-test-collector', setup: (b) => b.onResolve({ filter: /^node:test$/ }, () => ({ path: collector })) }],
  });
  return outfile;
}

describe('StateStore contract: durable_object_storage (inside workerd)', { timeout: 120_000 }, () => {
  let mf: Miniflare;
  let n = 0;
  const fresh = async (): Promise<StoreContractRpc> => {
    const ns = await mf.getDurableObjectNamespace('STORE_CONTRACT');
    return ns.get(ns.idFromName(`case-${++n}`)) as unknown as StoreContractRpc;
  };

  before(async () => {
    const scriptPath = await bundle();
    mf = new Miniflare({
      scriptPath,
      modules: true,
      modulesRoot: dirname(scriptPath),
      ...compatibility(),
      durableObjects: { STORE_CONTRACT: { className: 'StoreContract', useSQLite: true } },
      host: '127.0.0.1',
      port: 0,
    });
    await mf.ready;
  });
  after(async () => {
    await mf?.dispose();
  });

  it('every case of the contract passes inside a Durable Object', async (t) => {
    const cases = await (await fresh()).cases();
    assert.ok(cases.length >= 4, `the worker registered ${cases.length} cases: ${cases.join('; ')}`);
    for (const name of cases) {
      await t.test(name, async () => {
        const result = await (await fresh()).run(name);
        assert.ok(result.ok, result.ok ? '' : `inside workerd: ${result.error}`);
      });
    }
  });
});
