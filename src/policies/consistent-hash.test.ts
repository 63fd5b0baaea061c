import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { consistentHash } from './consistent-hash.ts';
import { runPolicyTests, runStabilityTests } from './contract.ts';
import { backends, ctx, FakeLoad, options } from './fixtures.ts';

runPolicyTests('consistent_hash', consistentHash, { varyBy: 'path', shareTolerance: 0.05 });
runStabilityTests('consistent_hash', consistentHash, 'path', { removeExtra: 0, addTolerance: 0.06 });

describe('consistent_hash', () => {
  for (const fn of ['fnv1a', 'djb2', 'md5', 'sha1'] as const) {
    it(`${fn}: the same key reaches the same server; keys spread over all servers`, () => {
      const p = consistentHash(backends([1, 1, 1]), options({ hash: { virtualNodes: 150, hashFunction: fn, key: 'path' } }));
      const seen = new Set<string>();
      for (let i = 0; i < 300; i++) {
        const a = p.pick(ctx(`/k/${i}`), () => true)!;
        assert.equal(p.pick(ctx(`/k/${i}`, '203.0.113.5'), () => true), a);
        seen.add(a.id);
      }
      assert.equal(seen.size, 3);
    });
  }

  it('key header:NAME follows the header, cookie:NAME the cookie', () => {
    const byHeader = consistentHash(backends([1, 1, 1, 1]), options({ hash: { virtualNodes: 150, hashFunction: 'fnv1a', key: 'header:x-user' } }));
    const a = byHeader.pick(ctx('/x', '1.1.1.1', { 'x-user': 'alice' }), () => true);
    assert.equal(byHeader.pick(ctx('/y', '2.2.2.2', { 'x-user': 'alice' }), () => true), a);
    const byCookie = consistentHash(backends([1, 1, 1, 1]), options({ hash: { virtualNodes: 150, hashFunction: 'fnv1a', key: 'cookie:sid' } }));
    const c = byCookie.pick(ctx('/x', '1.1.1.1', { cookie: 'a=1; sid=abc' }), () => true);
    assert.equal(byCookie.pick(ctx('/z', '9.9.9.9', { cookie: 'sid=abc' }), () => true), c);
  });

  it('balance_factor keeps a hot key off a server above factor × average load', () => {
    const load = new FakeLoad();
    const list = backends([1, 1, 1, 1]);
    const opts = options({ load, hash: { virtualNodes: 150, hashFunction: 'fnv1a', key: 'path', balanceFactor: 1.25 } });
    const p = consistentHash(list, opts);
    const home = p.pick(ctx('/hot'), () => true)!;
    load.flights.set(home.id, 10);
    const moved = p.pick(ctx('/hot'), () => true)!;
    assert.notEqual(moved, home);
    const unbounded = consistentHash(list, options({ load }));
    assert.equal(unbounded.pick(ctx('/hot'), () => true), home);
  });
});
