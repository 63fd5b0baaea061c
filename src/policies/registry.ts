import type { Algorithm } from '../config/types.ts';
import type { Backend } from '../core/types.ts';
import { consistentHash } from './consistent-hash.ts';
import { first } from './first.ts';
import { ipHash } from './ip-hash.ts';
import { leastConnections } from './least-connections.ts';
import { leastResponseTime } from './least-response-time.ts';
import { maglev } from './maglev.ts';
import { powerOfTwo } from './power-of-two.ts';
import { random } from './random.ts';
import { roundRobin } from './round-robin.ts';
import type { PolicyFactory, PolicyOptions, SelectionPolicy } from './types.ts';

/** Every selection policy by its config name. */
export const policies: Record<Algorithm, PolicyFactory> = {
  round_robin: roundRobin,
  least_connections: leastConnections,
  random,
  power_of_two: powerOfTwo,
  least_response_time: leastResponseTime,
  ip_hash: ipHash,
  consistent_hash: consistentHash,
  maglev,
  first,
};

export function createPolicy(algorithm: Algorithm, backends: readonly Backend[], options: PolicyOptions): SelectionPolicy {
  return policies[algorithm](backends, options);
}
