import type { PickContext, PolicyOptions } from '../balancers/types.ts';
import type { Config } from '../config/types.ts';
import { observePassive } from '../health/observe.ts';
import { httpProbe, type HealthProbe } from '../health/probe.ts';
import { healthRound, type RoundResult, type Transition } from '../health/round.ts';
import type { StateStore } from '../storage/types.ts';
import type { Transport } from '../transport/types.ts';
import { prepareBody } from './body.ts';
import { downstreamHeaders, isBodyless, upstreamHeaders } from './forward.ts';
import { silentLogger, type Logger } from './log.ts';
import { noServer, problemResponse, upstreamFailed, type AttemptReport } from './problems.ts';
import { statusReport, type StatusReport } from './report.ts';
import { shouldRetry } from './retry.ts';
import { SharedState } from './state.ts';
import { CounterTable, Totals, type ServerCounters } from './stats.ts';
import { UpstreamError, type Backend, type RequestInfo } from './types.ts';

export interface BalancerDeps {
  config: Config;
  store: StateStore;
  transport: Transport;
  /** Defaults to an HTTP GET of `health_check.path` through the transport. */
  probe?: HealthProbe;
  /** Epoch milliseconds. */
  now?: () => number;
  random?: () => number;
  log?: Logger;
  /** How long a read of shared state stays fresh. Default: forever for memory, 1 s otherwise. */
  snapshotTtlMs?: number;
}

/** The balancing core. Every runtime, trigger and test drives it through `fetch` and `tick`. */
export interface Balancer {
  /** Proxies one request to a backend (with failover) or answers 502/503/504 problem+json. */
  fetch(request: Request, info: RequestInfo): Promise<Response>;
  /** One round of active health checks; writes the health map once, only if it changed. */
  tick(): Promise<RoundResult>;
  /** The figures `/api/stats` shows. */
  status(): Promise<StatusReport>;
  readonly state: SharedState;
  readonly counters: CounterTable;
  readonly totals: Totals;
  readonly config: Config;
  /** Recent health transitions, newest last (at most 100). */
  readonly events: readonly Transition[];
}

const EVENTS_KEPT = 100;
/** With active checks off, a passively ejected server is retried after this long (nginx's fail_timeout). */
const PASSIVE_RETRY_MS = 10_000;

export function createBalancer(deps: BalancerDeps): Balancer {
  const { config, store, transport } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.log ?? silentLogger;
  const counters = new CounterTable();
  const totals = new Totals();
  const events: Transition[] = [];
  const startedAt = now();
  const policyOptions: PolicyOptions = {
    load: counters,
    random: deps.random ?? Math.random,
    hash: { ...config.consistentHash },
    maglevTableSize: 65537,
  };
  const ttl = deps.snapshotTtlMs ?? (store.kind === 'memory' ? Infinity : 1000);
  const state = new SharedState(config, store, policyOptions, ttl, now);
  state.onError = (e) => log.warn('state store read failed; using the last copy', { store: store.kind, error: String(e) });
  const probe = deps.probe ?? httpProbe(transport, {
    path: config.healthCheck.path,
    timeoutMs: config.healthCheck.timeoutMs,
    expectedStatus: config.healthCheck.expectedStatus,
  });

  function pushEvents(list: Transition[]): void {
    for (const e of list) {
      events.push(e);
      log.info('health transition', { server: e.server, from: e.from, to: e.to, reason: e.reason });
    }
    if (events.length > EVENTS_KEPT) events.splice(0, events.length - EVENTS_KEPT);
  }

  /** Whether a backend may take a new request (health and drain; not retry bookkeeping). */
  function available(b: Backend, t: number): boolean {
    if (state.drained.has(b.id)) return false;
    const rec = state.record(b.id);
    if (!rec || rec.status === 'healthy') return true;
    return !config.healthCheck.enabled && t - rec.since >= PASSIVE_RETRY_MS;
  }

  function markDown(b: Backend, error: UpstreamError): void {
    const before = state.record(b.id);
    const after = observePassive(before, error.kind === 'connect' ? 'connect refused' : 'connection reset', now());
    if (after === before) return;
    state.markPassive(b.id, after);
    pushEvents([{ server: b.id, from: before?.status ?? 'healthy', to: after.status, reason: after.reason ?? '', at: after.since }]);
  }

  /** Wraps a body so the backend's in-flight count drops when it ends, fails or is cancelled. */
  function track(body: ReadableStream<Uint8Array>, c: ServerCounters): ReadableStream<Uint8Array> {
    const reader = body.getReader();
    let open = true;
    const done = () => {
      if (open) {
        open = false;
        c.inFlight--;
      }
    };
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done: end, value } = await reader.read();
          if (end) {
            done();
            controller.close();
          } else controller.enqueue(value);
        } catch (error) {
          done();
          controller.error(error);
        }
      },
      cancel(reason) {
        done();
        return reader.cancel(reason);
      },
    });
  }

  async function fetch(request: Request, info: RequestInfo): Promise<Response> {
    const started = now();
    // Stale-while-revalidate: only the very first request waits for the store.
    const refreshing = state.refresh();
    if (refreshing) {
      if (!state.loaded) await refreshing;
      else info.waitUntil?.(refreshing);
    }
    const url = new URL(request.url);
    const path = url.pathname + url.search;
    const ctx: PickContext = { request, url, clientIp: info.clientIp };
    const body = await prepareBody(request, config.replayBufferBytes);
    const headers = upstreamHeaders(request.headers, {
      clientIp: info.clientIp,
      proto: url.protocol.slice(0, -1),
      host: request.headers.get('host') ?? url.host,
    });
    const tried = new Set<Backend>();
    const attempts: AttemptReport[] = [];
    const maxAttempts = config.retries + 1;
    const accept = (b: Backend) => !tried.has(b) && available(b, started);

    for (;;) {
      const backend = state.pool.pick(ctx, accept);
      if (!backend) {
        totals.count(false, now());
        if (attempts.length) {
          return problemResponse(upstreamFailed(url.pathname, attempts, 'no other server left to try'));
        }
        const reason = describeUnavailable(state.pool.backends.length);
        return problemResponse(noServer(url.pathname, state.pool.backends.length, reason));
      }
      tried.add(backend);
      const c = counters.get(backend.id);
      c.inFlight++;
      c.requests++;
      const attemptStart = now();
      const timer = new AbortController();
      const timeout = setTimeout(
        () => timer.abort(new DOMException(`no response within ${config.timeoutMs} ms`, 'TimeoutError')),
        config.timeoutMs,
      );
      const signal = AbortSignal.any([timer.signal, request.signal]);
      try {
        const res = await transport.send({ method: request.method, path, headers, body: body.next() }, backend, signal);
        clearTimeout(timeout);
        const t = now();
        c.observeLatency(t - attemptStart, t);
        if (res.status >= 500) {
          c.errors++;
          c.lastError = { at: t, message: `status ${res.status}` };
        }
        totals.count(res.status < 500, t);
        const out = downstreamHeaders(res.headers, transport.decodesBodies);
        if (config.servedByHeader) out.set(config.servedByHeader, backend.id);
        if (isBodyless(request.method, res.status) || !res.body) {
          c.inFlight--;
          if (res.body) res.body.cancel().catch(() => {});
          return new Response(null, { status: res.status, statusText: res.statusText, headers: out });
        }
        return new Response(track(res.body, c), { status: res.status, statusText: res.statusText, headers: out });
      } catch (e) {
        clearTimeout(timeout);
        c.inFlight--;
        const error = e instanceof UpstreamError ? e : new UpstreamError('protocol', String(e));
        if (request.signal.aborted) {
          // The client went away: not the backend's fault, nobody to answer.
          return new Response(null, { status: 499 });
        }
        c.errors++;
        c.lastError = { at: now(), message: error.message };
        attempts.push({ server: backend.id, error: error.message, duration_ms: Math.round(now() - attemptStart) });
        if (error.kind === 'connect' || error.kind === 'reset') markDown(backend, error);
        log.warn('attempt failed', { server: backend.id, method: request.method, path: url.pathname, error: error.message });
        const retry = shouldRetry({
          method: request.method,
          idempotencyKey: request.headers.has('idempotency-key'),
          failure: error.kind,
          attempts: attempts.length,
          maxAttempts,
          replayable: body.replayable,
          untriedLeft: tried.size < state.pool.backends.length,
        });
        if (!retry) {
          totals.count(false, now());
          const note = !body.replayable
            ? `not retried: the request body is larger than the replay buffer (${config.replayBufferBytes} bytes)`
            : attempts.length >= maxAttempts
              ? `retries exhausted (${config.retries})`
              : error.kind !== 'connect' ? `not retried: ${request.method} is not idempotent and may have reached the server` : undefined;
          return problemResponse(upstreamFailed(url.pathname, attempts, note));
        }
      }
    }
  }

  function describeUnavailable(total: number): string {
    if (total === 0) return 'none configured';
    const drained = state.drained.size;
    const down = state.pool.backends.filter((b) => state.record(b.id)?.status === 'unhealthy').length;
    const since = Math.min(...state.pool.backends.map((b) => state.record(b.id)?.since ?? Infinity));
    const parts = [];
    if (down) parts.push(`${down} unhealthy${Number.isFinite(since) ? ` (since ${new Date(since).toISOString()})` : ''}`);
    if (drained) parts.push(`${drained} draining`);
    return parts.join(', ') || 'all were tried';
  }

  async function tick(): Promise<RoundResult> {
    // Always start from the stored list: an admin change may have landed since.
    const reading = state.refresh();
    if (reading) await reading;
    const result = await healthRound(
      state.pool.backends,
      state.effectiveHealth(),
      probe,
      { rise: config.healthCheck.rise, fall: config.healthCheck.fall },
      now,
    );
    // KV takes about one write per second per key: write it only on a change.
    // Other stores take every round, so readers see how fresh the checks are.
    await state.putHealth(result.health, result.changed || store.kind !== 'kv');
    pushEvents(result.transitions);
    return result;
  }

  return {
    fetch,
    tick,
    status: async () => {
      const reading = state.refresh();
      if (reading) await reading;
      return statusReport({ config, state, counters, totals, events, startedAt, now: now() });
    },
    state,
    counters,
    totals,
    config,
    events,
  };
}
