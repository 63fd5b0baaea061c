import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runPolicyTests, runStabilityTests } from './contract.ts';
import { backends, ctx, options } from './fixtures.ts';
import { ipHash } from './ip-hash.ts';

runPolicyTests('ip_hash', ipHash, { varyBy: 'ip', shareTolerance: 0.05 });
// Like nginx's ip_hash, its table is rebuilt for a new list (every key rehashes), so only a server
// marked down is stable; consistent_hash and maglev are the policies for lists that change.
runStabilityTests('ip_hash', ipHash, 'ip');

describe('ip_hash', () => {
  it('the same client IP always reaches the same server', () => {
    const p = ipHash(backends([1, 1, 1, 1]), options());
    for (const ip of ['192.0.2.1', '198.51.100.23', '2001:db8::1']) {
      const first = p.pick(ctx('/a', ip), () => true);
      for (let i = 0; i < 10; i++) assert.equal(p.pick(ctx(`/other/${i}`, ip), () => true), first);
    }
  });
});
