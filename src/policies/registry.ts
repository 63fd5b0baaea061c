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

/**
 * Every selection policy by its config name: the one place a policy is listed.
 * The config schema, the `Algorithm` type and `--help` are derived from it.
 */
export const policies = {
  round_robin: roundRobin,
  least_connections: leastConnections,
  random,
  power_of_two: powerOfTwo,
  least_response_time: leastResponseTime,
  ip_hash: ipHash,
  consistent_hash: consistentHash,
  maglev,
  first,
} satisfies Record<string, PolicyFactory>;

/** A canonical policy name. */
export type Algorithm = keyof typeof policies;

/** Other names accepted in config for a policy (nginx's and HAProxy's words). */
export const aliases = {
  weighted_round_robin: 'round_robin',
  least_conn: 'least_connections',
  p2c: 'power_of_two',
} as const satisfies Record<string, Algorithm>;

/** Every name config accepts: the canonical ones, then the aliases. */
export const algorithmNames = [...Object.keys(policies), ...Object.keys(aliases)] as Array<Algorithm | keyof typeof aliases>;

/** The canonical policy for an accepted name. */
export function canonicalAlgorithm(name: Algorithm | keyof typeof aliases): Algorithm {
  return name in aliases ? aliases[name as keyof typeof aliases] : (name as Algorithm);
}

/** `round_robin (also weighted_round_robin), least_connections (also least_conn), ...` for help texts. */
export function describeAlgorithms(): string {
  return Object.keys(policies)
    .map((name) => {
      const also = Object.entries(aliases).filter(([, to]) => to === name).map(([from]) => from);
      return also.length ? `${name} (also ${also.join(', ')})` : name;
    })
    .join(', ');
}

export function createPolicy(algorithm: Algorithm, backends: readonly Backend[], options: PolicyOptions): SelectionPolicy {
  return policies[algorithm](backends, options);
}
