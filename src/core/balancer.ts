import type { Digest, PolicyOptions } from '../policies/types.ts';
import type { Config } from '../config/types.ts';
import { observePassive } from '../health/observe.ts';
import { httpProbe, type HealthProbe } from '../health/probe.ts';
import { healthRound, type RoundResult } from '../health/round.ts';
import type { StateStore } from '../storage/types.ts';
import type { Transport } from '../transport/types.ts';
import { accessLine } from './access-log.ts';
import { RetryBudget } from './budget.ts';
import { Guards } from './guards.ts';
import { silentLogger, type Logger } from './log.ts';
import { createProxy } from './proxy.ts';
import { statusReport, type StatusReport } from './report.ts';
import { slowStart } from './slow-start.ts';
import { SharedState } from './state.ts';
import { newStickySecret, SessionTable, StickyTokens } from './sticky.ts';
import { RuntimeTable } from './records.ts';
import { Totals } from './stats.ts';
import type { Backend, BalancerEvent, Hmac, RequestInfo, UpstreamError } from './types.ts';

export interface BalancerDeps {
  config: Config;
  store: StateStore;
  transport: Transport;
  /** Defaults to an HTTP GET of `health_check.path` through the transport. */
  probe?: HealthProbe;
  /** Epoch milliseconds. */
  now?: () => number;
  random?: () => number;
  /** MD5/SHA-1 for those `consistent_hash.hash_function`s (from the entry). */
  digest?: Digest;
  /** HMAC-SHA-256 for signing sticky-session tokens (from the entry); needed when `sticky` is on. */
  hmac?: Hmac;
  log?: Logger;
  /** How long a read of shared state stays fresh. Default: forever for memory, 1 s otherwise. */
  snapshotTtlMs?: number;
}

/** The balancing core. Every runtime, trigger and test drives it through `fetch` and `tick`. */
export interface Balancer {
  /** Proxies one request to a backend (with failover) or answers 502/503/504 problem+json. */
  fetch(request: Request, info: RequestInfo): Promise<Response>;
  /**
   * One round of active health checks of the servers that are due (all of
   * them with `force`); writes the health map once.
   */
  tick(force?: boolean): Promise<RoundResult>;
  /** The figures `/api/stats` shows. */
  status(): Promise<StatusReport>;
  readonly state: SharedState;
  /** This instance's runtime record of each server (counters, drain, ejection, circuit, passive mark). */
  readonly records: RuntimeTable;
  readonly totals: Totals;
  readonly config: Config;
  /** Recent health transitions and admin changes, newest last (at most 100). */
  readonly events: readonly BalancerEvent[];
  /** Records an admin change (added, removed, drained, weight) among the events; counts as no health transition. */
  adminEvent(server: string, from: string, to: string, reason: string): void;
}

const EVENTS_KEPT = 100;

export function createBalancer(deps: BalancerDeps): Balancer {
  const { config, store, transport } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.log ?? silentLogger;
  const records = new RuntimeTable();
  const totals = new Totals();
  const events: BalancerEvent[] = [];
  const startedAt = now();
  const policyOptions: PolicyOptions = {
    load: records,
    random: deps.random ?? Math.random,
    ...(deps.digest ? { digest: deps.digest } : {}),
    hash: { ...config.consistentHash },
    maglevTableSize: 65537,
  };
  const ttl = deps.snapshotTtlMs ?? (store.shared ? 1000 : Infinity);
  const state = new SharedState(config, store, records, policyOptions, ttl, now);
  state.onError = (e) => log.warn('state store read failed; using the last copy', { store: store.name, error: String(e) });
  const probe = deps.probe ?? httpProbe(transport, {
    path: config.healthCheck.path,
    method: config.healthCheck.method,
    headers: config.healthCheck.headers,
    expectedBody: config.healthCheck.expectedBody,
    timeoutMs: config.healthCheck.timeoutMs,
    expectedStatus: config.healthCheck.expectedStatus,
  });

  function pushEvents(list: BalancerEvent[]): void {
    for (const e of list) {
      events.push(e);
      const r = e.kind === 'admin' ? undefined : records.peek(e.server);
      if (r) r.transitions++;
      log.info(e.kind === 'admin' ? 'admin change' : 'health transition', { server: e.server, from: e.from, to: e.to, reason: e.reason });
    }
    if (events.length > EVENTS_KEPT) events.splice(0, events.length - EVENTS_KEPT);
  }

  function markDown(b: Backend, error: UpstreamError): void {
    const before = state.record(b.id);
    const after = observePassive(before, error.kind === 'connect' ? 'connect refused' : 'connection reset', now());
    if (after === before) return;
    state.markPassive(b.id, after);
    pushEvents([{ kind: 'health', server: b.id, from: before?.status ?? 'healthy', to: after.status, reason: after.reason ?? '', at: after.since }]);
  }

  const guards = new Guards(config, state, (e) => pushEvents([e]));
  state.onRecovered = (id) => guards.recovered(id);
  const budget = new RetryBudget(config.retryBudget.percent, config.retryBudget.minPerSecond);
  const ramp = slowStart(config, state, policyOptions);
  const sessions = config.sticky ? new SessionTable(config.sticky.ttlMs) : undefined;
  const sticky = stickySigning(config, store, deps.hmac, log);
  const fetch = createProxy({
    sessions,
    config,
    transport,
    guards,
    records,
    totals,
    budget,
    log,
    now,
    random: policyOptions.random,
    pool: ramp.pool,
    tokens: sticky.tokens,
    markDown,
    describeUnavailable: () => describeUnavailable(state.pool.backends.length),
    onDone: (e) => {
      if (e.server === null && e.status >= 500) totals.generated.set(e.status, (totals.generated.get(e.status) ?? 0) + 1);
      if (config.accessLog !== 'off') log.line(accessLine(e, config.accessLog));
    },
  });

  async function handle(request: Request, info: RequestInfo): Promise<Response> {
    // Stale-while-revalidate: only the very first request waits for the store.
    const refreshing = state.refresh();
    if (refreshing) {
      if (!state.loaded) await refreshing;
      else info.waitUntil?.(refreshing);
    }
    const signing = sticky.ready();
    if (signing) {
      // The request that starts the read keeps it alive (Workers: I/O belongs to a request).
      info.waitUntil?.(signing);
      await signing;
    }
    return fetch(request, info);
  }

  function describeUnavailable(total: number): string {
    if (total === 0) return 'none configured';
    const drained = state.pool.backends.filter((b) => records.get(b.id).drained).length;
    const t = now();
    const down = state.pool.backends.filter((b) => state.record(b.id)?.status === 'unhealthy').length;
    const ejected = state.pool.backends.filter((b) => guards.ejectedUntil(b.id, t) !== null).length;
    const open = state.pool.backends.filter((b) => guards.circuit(b.id, t) === 'open').length;
    const since = Math.min(...state.pool.backends.map((b) => state.record(b.id)?.since ?? Infinity));
    const parts = [];
    if (down) parts.push(`${down} unhealthy${Number.isFinite(since) ? ` (since ${new Date(since).toISOString()})` : ''}`);
    if (drained) parts.push(`${drained} draining`);
    if (ejected) parts.push(`${ejected} ejected after failures`);
    if (open) parts.push(`${open} with an open circuit`);
    return parts.join(', ') || 'all were tried';
  }

  async function tick(force = false): Promise<RoundResult> {
    // Always start from the stored list: an admin change may have landed since.
    const reading = state.refresh();
    if (reading) await reading;
    const hc = config.healthCheck;
    const result = await healthRound(state.pool.backends, state.effectiveHealth(), probe, {
      rise: hc.rise,
      fall: hc.fall,
      intervalMs: hc.intervalMs,
      fastIntervalMs: hc.fastIntervalMs,
      downIntervalMs: hc.downIntervalMs,
      jitter: hc.jitter,
      initialState: hc.initialState,
      random: policyOptions.random,
      now,
      force,
    });
    // A rationed store gets the map only on a change; others every round,
    // so readers see how fresh the checks are.
    await state.putHealth(result.health, result.changed || !store.writeOnlyOnChange);
    pushEvents(result.transitions);
    return result;
  }

  return {
    fetch: handle,
    tick,
    status: async () => {
      const reading = state.refresh();
      if (reading) await reading;
      return statusReport({ config, state, records, totals, events, startedAt, now: now(), guards, effectiveWeight: ramp.weight, sessions });
    },
    state,
    records,
    totals,
    config,
    events,
    adminEvent: (server, from, to, reason) => pushEvents([{ kind: 'admin', server, from, to, reason, at: now() }]),
  };
}

/**
 * The sticky-session tokens, signed with `sticky.secret`; without one, with a
 * secret made at start (one process), or the one kept in a shared store (every
 * instance signs alike; the first to need it writes it). `ready()` is the read
 * of that shared secret while one is needed (started by the first request that
 * needs it, never at construction: at the edge, I/O belongs to a request).
 */
function stickySigning(config: Config, store: StateStore, hmac: Hmac | undefined, log: Logger): { tokens: () => StickyTokens | undefined; ready: () => Promise<void> | undefined } {
  if (!config.sticky) return { tokens: () => undefined, ready: () => undefined };
  if (!hmac) throw new Error('sticky sessions need an HMAC-SHA-256 from the runtime entry (Platform.hmac)');
  const sign = hmac;
  const configured = config.sticky.secret ?? config.stickySecret;
  let tokens = configured || !store.shared ? new StickyTokens(sign, configured ?? newStickySecret()) : undefined;
  let reading: Promise<void> | undefined;
  const read = async () => {
    try {
      let doc = await store.get('secrets');
      if (!doc?.sticky) {
        await store.put('secrets', { sticky: newStickySecret() });
        doc = await store.get('secrets');
      }
      tokens = new StickyTokens(sign, doc!.sticky);
    } catch (e) {
      log.warn('sticky secret unavailable from the store; signing with one of this instance only', { store: store.name, error: String(e) });
      tokens = new StickyTokens(sign, newStickySecret());
    } finally {
      reading = undefined;
    }
  };
  return { tokens: () => tokens, ready: () => (tokens ? undefined : (reading ??= read())) };
}
