import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runPolicyTests, runStabilityTests } from './contract.ts';
import { backends, ctx, options } from './fixtures.ts';
import { ipHash } from './ip-hash.ts';

runPolicyTests('ip_hash', ipHash, { varyBy: 'ip', shareTolerance: 0.05 });
runStabilityTests('ip_hash', ipHash, 'ip', 0.85, 0.7);

describe('ip_hash', () => {
  it('the same client IP always reaches the same server', () => {
    const p = ipHash(backends([1, 1, 1, 1]), options());
    for (const ip of ['192.0.2.1', '198.51.100.23', '2001:db8::1']) {
      const first = p.pick(ctx('/a', ip), () => true);
      for (let i = 0; i < 10; i++) assert.equal(p.pick(ctx(`/other/${i}`, ip), () => true), first);
    }
  });
});
