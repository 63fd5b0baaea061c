import { createPolicy } from '../policies/registry.ts';
import type { PickContext, PolicyOptions, SelectionPolicy } from '../policies/types.ts';
import type { Algorithm } from '../policies/registry.ts';
import type { Backend, BackendSpec } from './types.ts';
import { serverAddress } from '../config/server.ts';
import type { BackendTls, ServerConfig } from '../config/types.ts';

/** Builds the core's `Backend` from a stored spec (the one address rule: `serverAddress`); `tls` applies to an `https://` one only. */
export function backendFromSpec(spec: BackendSpec, tls?: BackendTls | null): Backend {
  const { id, url, host, port } = serverAddress(spec.url);
  const backend = { id, url, host, port, name: spec.name ?? id, weight: spec.weight, backup: spec.backup, maxConns: spec.max_conns ?? 0 };
  return tls && url.startsWith('https:') ? { ...backend, tls } : backend;
}

/** The stored spec of a server as the config gives it (`maxConns` → `max_conns`, none when 0). */
export function backendSpec(s: ServerConfig): BackendSpec {
  return { url: s.url, weight: s.weight, backup: s.backup, ...(s.name ? { name: s.name } : {}), ...(s.maxConns ? { max_conns: s.maxConns } : {}) };
}

/** The backends of one list version, with a policy per tier (primaries, then backups). */
export interface Pool {
  readonly backends: readonly Backend[];
  readonly byId: ReadonlyMap<string, Backend>;
  /** The best backend `accept` allows: a primary when any is allowed, else a backup. */
  pick(ctx: PickContext, accept: (b: Backend) => boolean): Backend | undefined;
}

export function createPool(backends: readonly Backend[], algorithm: Algorithm, options: PolicyOptions): Pool {
  const primaries = backends.filter((b) => !b.backup);
  const backups = backends.filter((b) => b.backup);
  const first: SelectionPolicy = createPolicy(algorithm, primaries, options);
  const second: SelectionPolicy | undefined = backups.length ? createPolicy(algorithm, backups, options) : undefined;
  return {
    backends,
    byId: new Map(backends.map((b) => [b.id, b])),
    pick(ctx, accept) {
      return first.pick(ctx, accept) ?? second?.pick(ctx, accept);
    },
  };
}
