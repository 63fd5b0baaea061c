/**
 * Entry for Cloudflare Workers: the same app as every runtime, with shared
 * state in KV or a Durable Object, and cron driving health checks.
 */
import type { Hono } from 'hono';
import { createApp } from '../src/app.ts';
import { nodeDigest, nodeHmac } from '../src/runtime/hashes.ts';
import type { Balancer } from '../src/core/balancer.ts';
import { createLogger } from '../src/core/log.ts';
import { SETTLE_MS } from '../src/core/services-writes.ts';
import { problemResponse } from '../src/core/problems.ts';
import { guardRequests } from '../src/core/request-guards.ts';
import { StoreUnavailableError } from '../src/storage/registry.ts';
import type { StateStore } from '../src/storage/types.ts';
import { fetchTransport } from '../src/transport/fetch.ts';
import { fetchUpgrader } from '../src/core/websocket.ts';

const workerUpgrade = fetchUpgrader((url, init) => fetch(url, init));
import { rateLimitStoreProblems } from '../src/traffic/stores.ts';
import { tlsLimitProblems, WORKERS_TLS_LIMITS } from '../src/config/backend-tls.ts';
import { edgeStore, loadEdgeConfig, rateLimitBindings, stateObject, type Env } from './env.ts';
import { counterReporter, REPORT_EVERY_MS } from './reporter.ts';

export { SwitchyardState } from './state-object.ts';
export { SwitchyardRateLimiter } from './rate-limit-object.ts';

interface ExecutionContext {
  waitUntil(p: Promise<unknown>): void;
  passThroughOnException?(): void;
}

interface Built {
  app: Hono;
  balancer: Balancer;
  reporter: ReturnType<typeof counterReporter>;
  storage: string;
}

// Per-isolate cache of plain objects only (no stubs: they belong to one request).
let built: Promise<Built | { errors: string[] }> | undefined;
// Whether this isolate has made sure the Durable Object's health alarm is armed.
let armed = false;

async function build(env: Env): Promise<Built | { errors: string[] }> {
  const loaded = await loadEdgeConfig(env);
  if (!loaded.ok) return { errors: loaded.errors };
  const config = loaded.config;
  let store: StateStore;
  try {
    store = edgeStore(config, env);
  } catch (e) {
    if (e instanceof StoreUnavailableError) return { errors: [`storage: ${e.message}`] };
    throw e;
  }
  const limits = rateLimitBindings(env);
  // A rate limit whose store needs a binding this Worker lacks is a config error, as a bad value is.
  const unavailable = [...rateLimitStoreProblems(config, limits), ...tlsLimitProblems(config, WORKERS_TLS_LIMITS)];
  if (unavailable.length) return { errors: unavailable.map((line) => `${env.SWITCHYARD_CONFIG ? 'SWITCHYARD_CONFIG' : 'KV config'}: ${line}`) };
  const log = createLogger(config.logLevel);
  const { app, balancer } = createApp({
    config,
    log,
    // workerd decodes gzip/br on fetch; the core drops the encoding headers to match.
    transport: fetchTransport({ decodesBodies: true }),
    digest: nodeDigest,
    hmac: nodeHmac,
    store,
    // The client's address as Cloudflare gives it (what hono's getConnInfo reads, without its WebSocket helpers).
    clientIp: (c) => c.req.raw.headers.get('cf-connecting-ip') ?? '',
    waitUntil: (c) => (p) => c.executionCtx.waitUntil(p),
    tokenRequired: true,
    rateLimitBindings: limits,
    // workerd's fetch makes the upgrade: its 101 Response (with `.webSocket`) goes back unchanged.
    upgrade: () => workerUpgrade,
    ...(env.ASSETS
      ? {
          dashboard: () => env.ASSETS!.fetch('http://assets.local/dashboard.html'),
          openApi: async () => {
            const res = await env.ASSETS!.fetch('http://assets.local/openapi.json');
            if (!res.ok) throw new Error(`the openapi.json asset answered ${res.status}`);
            return (await res.json()) as Record<string, unknown>;
          },
          docs: async () => {
            const res = await env.ASSETS!.fetch('http://assets.local/docs.html');
            if (!res.ok) throw new Error(`the docs.html asset answered ${res.status}`);
            return res.text();
          },
        }
      : {}),
    // With the Durable Object as authority, an on-demand round runs there and lands in the shared map.
    ...(config.storage === 'durable_object'
      ? {
          runRound: async () => {
            const r = await stateObject(env).runRound(true);
            if (!r) throw new Error('the Durable Object could not load the config');
            return r;
          },
        }
      : {}),
    extraStats: async () => {
      const base = { counters_scope: 'isolate', storage_writes: storageWrites(store, balancer) };
      if (config.storage !== 'durable_object') {
        return { ...base, fleet: null, note: 'Counters are per isolate: each Workers isolate counts only the requests it served.' };
      }
      const fleet = await stateObject(env).fleet();
      return {
        ...base,
        fleet: {
          total_requests: fleet.total,
          successful_requests: fleet.successful,
          failed_requests: fleet.failed,
          servers: fleet.servers,
          reports: fleet.reports,
          updated_at: fleet.updated_at ? new Date(fleet.updated_at).toISOString() : null,
          age_ms: fleet.updated_at ? Date.now() - fleet.updated_at : null,
          note: `Fleet-wide totals from every isolate, aggregated in the Durable Object; isolates report every ${REPORT_EVERY_MS / 1000} s.`,
        },
      };
    },
  });
  balancer.state.onLost = (w) => log.warn('admin change lost: another isolate overwrote it (KV: last writer wins); make it again', { change: w.what, version: w.version, store: store.name });
  return { app, balancer, reporter: counterReporter(balancer), storage: config.storage };
}

/** What this isolate's admin writes met in the store, as `/api/stats` shows it. */
function storageWrites(store: StateStore, balancer: Balancer) {
  const w = balancer.state.writes;
  const last = w.lastLost;
  return {
    atomic: store.atomic,
    written: w.written,
    retried: w.retried,
    lost: w.lost,
    last_lost: last && { change: last.what, version: last.version, written_at: new Date(last.writtenAt).toISOString(), found_at: new Date(last.foundAt).toISOString() },
    note: !store.shared
      ? 'This isolate\'s own store: its admin changes stay in this isolate.'
      : store.atomic
        ? 'The store decides each admin change: of two at once, one is applied again to the other\'s result, so none is lost.'
        : `KV has no compare-and-set: of two admin changes at once from different isolates, the last written can overwrite the other. This isolate reads back each change it writes and follows it for ${SETTLE_MS / 1000} s; lost counts those found overwritten (each logged at warn): make them again.`,
  };
}

function configError(errors: string[]): Response {
  return problemResponse({
    type: 'urn:switchyard:problem:invalid-config',
    title: 'Invalid configuration',
    status: 500,
    detail: 'The SWITCHYARD_CONFIG var (or the KV entry "config") is not a valid configuration.',
    errors,
  });
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    built ??= build(env);
    const b = await built;
    if ('errors' in b) return configError(b.errors);
    // The core's own client checks (a repeated Host, load_balancer.max_body), as on every runtime.
    const response = await guardRequests((req) => b.app.fetch(req, env, ctx as never), { maxBodyBytes: b.balancer.config.listen.maxBodyBytes })(request, null);
    if (b.storage === 'durable_object') {
      if (!armed) {
        armed = true;
        ctx.waitUntil(stateObject(env).ensureAlarm().catch(() => (armed = false)));
      }
      const delta = b.reporter.take();
      if (delta) ctx.waitUntil(stateObject(env).report(delta).catch(() => {}));
    }
    return response;
  },

  /** Cron: re-arms the Durable Object's alarm (which runs the rounds), or runs a round here. */
  async scheduled(_event: unknown, env: Env, ctx: ExecutionContext): Promise<void> {
    built ??= build(env);
    const b = await built;
    if ('errors' in b) return;
    if (b.storage === 'durable_object') ctx.waitUntil(stateObject(env).ensureAlarm());
    else ctx.waitUntil(b.balancer.tick());
  },
};
