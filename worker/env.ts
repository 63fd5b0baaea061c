import { parseConfigText, validateConfig } from '../src/config/validate.ts';
import type { Config } from '../src/config/types.ts';
import type { StateObjectStub } from '../src/storage/durable-object.ts';
import type { KVLike } from '../src/storage/kv.ts';
import { createStore } from '../src/storage/registry.ts';
import type { StateStore } from '../src/storage/types.ts';
import type { BalancerRound } from '../src/core/balancer.ts';
import type { RateLimitBinding, RateLimitBindings, RateLimitObjectStub } from '../src/traffic/types.ts';

/** The bindings `wrangler.toml` declares. */
export interface Env {
  /** The balancer's config file as JSON text (a wrangler var), same format as everywhere. */
  SWITCHYARD_CONFIG?: string;
  /** Admin token (a wrangler secret); overrides the config's `admin.token`. */
  LB_ADMIN_TOKEN?: string;
  /** Signs sticky-session cookies (a wrangler secret); without it, a secret kept in the store. */
  LB_STICKY_SECRET?: string;
  SWITCHYARD_KV?: KVLike & { get(key: string, type: 'text'): Promise<string | null> };
  /** Workers static assets (wrangler.toml [assets]): the dashboard page, kept out of the Worker bundle. */
  ASSETS?: { fetch(input: Request | string): Promise<Response> };
  SWITCHYARD_STATE?: {
    idFromName(name: string): unknown;
    get(id: unknown): StateObjectStub & EdgeObjectRpc;
  };
  /** Store `edge`'s default rate-limit binding (wrangler.toml [[ratelimits]]); a limit may name another. */
  SWITCHYARD_RATE_LIMIT?: RateLimitBinding;
  /** Store `durable_object`: one SwitchyardRateLimiter object per rate limit and key. */
  SWITCHYARD_RATE_LIMITER?: {
    idFromName(name: string): unknown;
    get(id: unknown): RateLimitObjectStub;
  };
}

/** RPC methods of the Durable Object beyond the store's. */
export interface EdgeObjectRpc {
  ensureAlarm(): Promise<number>;
  report(delta: CounterDelta): Promise<void>;
  fleet(): Promise<FleetStats>;
  runRound(force?: boolean): Promise<BalancerRound | null>;
}

/** Counters one isolate adds since its last report. */
export interface CounterDelta {
  total: number;
  successful: number;
  failed: number;
  servers: Record<string, { requests: number; errors: number }>;
}

/** Fleet-wide totals aggregated in the Durable Object. */
export interface FleetStats extends CounterDelta {
  reports: number;
  updated_at: number;
}

/**
 * The config at the edge: the `SWITCHYARD_CONFIG` var, else the `config` entry
 * of the KV namespace. Errors come back as lines, as on the command line.
 */
export async function loadEdgeConfig(env: Env): Promise<{ ok: true; config: Config } | { ok: false; errors: string[] }> {
  let text = env.SWITCHYARD_CONFIG;
  let label = 'SWITCHYARD_CONFIG';
  if (!text && env.SWITCHYARD_KV) {
    text = (await env.SWITCHYARD_KV.get('config', 'text')) ?? undefined;
    label = 'KV config';
  }
  let raw: Record<string, unknown> = {};
  if (text) {
    const parsed = parseConfigText(label, text);
    if (!parsed.ok) return { ok: false, errors: [parsed.error] };
    raw = parsed.raw;
  }
  const admin = raw.admin ?? {};
  // A non-object `admin` is left as it is, for the schema to name.
  if (env.LB_ADMIN_TOKEN && typeof admin === 'object' && !Array.isArray(admin)) raw.admin = { ...admin, token: env.LB_ADMIN_TOKEN };
  const result = validateConfig(raw, (path) => (path.startsWith('admin.token') && env.LB_ADMIN_TOKEN ? 'secret LB_ADMIN_TOKEN' : label));
  if (result.ok && env.LB_STICKY_SECRET) {
    if (env.LB_STICKY_SECRET.length < 16) return { ok: false, errors: ['secret LB_STICKY_SECRET: must be at least 16 characters'] };
    result.config.stickySecret = env.LB_STICKY_SECRET;
  }
  return result;
}

/** The stub of the one Durable Object that holds shared state; call per use (stubs belong to a request). */
export function stateObject(env: Env): StateObjectStub & EdgeObjectRpc {
  if (!env.SWITCHYARD_STATE) throw new Error('storage "durable_object" needs the SWITCHYARD_STATE binding in wrangler.toml');
  return env.SWITCHYARD_STATE.get(env.SWITCHYARD_STATE.idFromName('switchyard'));
}

/**
 * What the rate-limit stores count in here: any rate-limit binding by name
 * (store `edge`), and the SwitchyardRateLimiter object of a name (store
 * `durable_object`), resolved per use since a stub belongs to one request.
 */
export function rateLimitBindings(env: Env): RateLimitBindings {
  const limiter = env.SWITCHYARD_RATE_LIMITER;
  return {
    edge: (name) => {
      const b = (env as unknown as Record<string, unknown>)[name] as RateLimitBinding | undefined;
      return typeof b?.limit === 'function' ? b : undefined;
    },
    durableObject: limiter ? (name) => limiter.get(limiter.idFromName(name)) : undefined,
  };
}

/** The store the config names, over this environment's bindings (`StoreUnavailableError` when one is missing). */
export function edgeStore(config: Config, env: Env): StateStore {
  return createStore(config.storage, {
    kv: env.SWITCHYARD_KV,
    stateObject: env.SWITCHYARD_STATE ? () => stateObject(env) : undefined,
  });
}
