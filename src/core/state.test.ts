/**
 * The services write path on a real atomic store shared by several SharedState
 * copies, as instances (or isolates) sharing one store are: changes made at
 * once all land, each applied again to what another stored first.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryStore } from '../storage/memory.ts';
import type { StateStore } from '../storage/types.ts';
import { serverAdded, serverRemoved } from './admin.ts';
import { ConflictError, SharedState, WRITE_ATTEMPTS } from './state.ts';
import type { ServicesDocument } from './types.ts';

const T = 1_700_000_000_000;
const initial = (): ServicesDocument => ({ version: 0, updated_at: T, services: { default: { origin: 'config', servers: [] } }, routes: [] });
const spec = (port: number) => ({ url: `http://10.0.0.1:${port}`, weight: 1, backup: false });
/** `n` copies of the shared state over one store, each with its own write ids. */
function copies(store: StateStore, n: number): SharedState[] {
  return Array.from({ length: n }, (_, i) => {
    let k = 0;
    return new SharedState(initial(), store, 0, () => T, () => `s${i}-${++k}`);
  });
}
const urlsIn = (doc: ServicesDocument | undefined) => doc!.services.default.servers.map((s) => s.url).sort();

describe('SharedState.changeServices: writers at once on an atomic store', () => {
  it(`every change of ${WRITE_ATTEMPTS} copies writing at once lands; each one that lost the race applied it again`, async () => {
    const store = memoryStore();
    const states = copies(store, WRITE_ATTEMPTS);
    const ids = await Promise.all(states.map((s, i) => s.changeServices(serverAdded('default', spec(8000 + i)))));
    assert.deepEqual(ids, states.map((_, i) => `10.0.0.1:${8000 + i}`));
    const stored = await store.get('services');
    assert.deepEqual(urlsIn(stored), states.map((_, i) => spec(8000 + i).url).sort());
    assert.equal(stored!.version, WRITE_ATTEMPTS, 'one version per change');
    assert.deepEqual(stored!.writes!.map((w) => w.version), Array.from({ length: WRITE_ATTEMPTS }, (_, i) => i + 1), 'a line of writes, each on the one before');
    assert.equal(states.reduce((n, s) => n + s.writes.retried, 0) >= WRITE_ATTEMPTS - 1, true, 'all but the first met another write');
    assert.deepEqual(states.map((s) => s.writes.lost), states.map(() => 0), 'nothing lost on an atomic store');
  });

  it('a change that no longer applies to the newer document is refused, and writes nothing', async () => {
    const store = memoryStore();
    const [a, b] = copies(store, 2);
    await a.changeServices(serverAdded('default', spec(8001)));
    await b.ready();
    // Both remove the same server at once: the second finds it gone in the first's document.
    const results = await Promise.allSettled([a.changeServices(serverRemoved('default', '10.0.0.1:8001')), b.changeServices(serverRemoved('default', '10.0.0.1:8001'))]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.match(String(refused.reason), /no server 10\.0\.0\.1:8001 in service default/);
    assert.equal((await store.get('services'))!.version, 2, 'the refused change wrote nothing');
  });

  it(`more than ${WRITE_ATTEMPTS} writers at once: each change lands or is refused with 409 naming it, never lost`, async () => {
    const store = memoryStore();
    const states = copies(store, WRITE_ATTEMPTS + 4);
    const results = await Promise.allSettled(states.map((s, i) => s.changeServices(serverAdded('default', spec(8100 + i)))));
    const landed = results.flatMap((r, i) => (r.status === 'fulfilled' ? [spec(8100 + i).url] : []));
    for (const [i, r] of results.entries()) {
      if (r.status === 'rejected') {
        assert.ok(r.reason instanceof ConflictError);
        assert.match(r.reason.message, new RegExp(`changed under this write ${WRITE_ATTEMPTS} times \\(add server 10\\.0\\.0\\.1:${8100 + i} to service default\\); try again`));
      }
    }
    assert.deepEqual(urlsIn(await store.get('services')), landed.sort());
    assert.ok(landed.length >= WRITE_ATTEMPTS, `${landed.length} landed`);
  });
});
