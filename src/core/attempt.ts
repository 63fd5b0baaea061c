import type { PoolSettings } from '../config/types.ts';
import { attemptTimedOut, classify, duration } from '../transport/classify.ts';
import type { Transport, UpstreamResponse } from '../transport/types.ts';
import type { Exchange } from './exchange.ts';
import type { Guards } from './guards.ts';
import type { Logger } from './log.ts';
import type { BackendRuntime, RuntimeTable } from './records.ts';
import type { Backend, UpstreamError } from './types.ts';

/** How one attempt ended. */
export type Outcome =
  /** The server answered (any status); its record stays in flight until the body is done or discarded. */
  | { kind: 'response'; backend: Backend; record: BackendRuntime; response: UpstreamResponse; startedAt: number }
  /** The attempt failed before any response. */
  | { kind: 'error'; backend: Backend; record: BackendRuntime; error: UpstreamError; startedAt: number }
  /** The client went away while it waited. */
  | { kind: 'client_gone' }
  /** No server could take it. */
  | { kind: 'no_server' }
  /** Every server it could use was at its max_conns, and `maxQueue` requests already waited. */
  | { kind: 'queue_full'; maxQueue: number; timeoutMs: number }
  /** It waited `timeoutMs` in the queue for a server below its max_conns. */
  | { kind: 'queue_timeout'; timeoutMs: number };

export interface AttemptDeps {
  config: PoolSettings;
  transport: Transport;
  guards: Guards;
  records: RuntimeTable;
  log: Logger;
  now: () => number;
  /** Marks a server down for a connection-level failure seen on real traffic. */
  markDown: (b: Backend, error: UpstreamError) => void;
}

/**
 * One attempt at `backend`, whose record the caller entered into flight when
 * it chose it (so a place under max_conns is held from that moment):
 * admission through the circuit, the per-attempt timeout, the transport
 * call, the backend's counters, the circuit and passive-health results, and
 * a passive health mark for a refused or reset connection.
 */
export async function attempt(d: AttemptDeps, x: Exchange, backend: Backend): Promise<Extract<Outcome, { kind: 'response' | 'error' | 'client_gone' }>> {
  const { config, guards, now } = d;
  const startedAt = now();
  x.tried.add(backend.id);
  const trial = guards.admit(backend, startedAt);
  const record = d.records.get(backend.id);
  record.awaiting++;
  record.requests++;
  // One controller per attempt, aborted by the timeout or by the client going away.
  // (Not AbortSignal.any: on Node 20 it is slow and keeps signals alive.)
  const controller = new AbortController();
  let timedOut = false;
  const timeout = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`no response headers within ${duration(config.timeoutMs)}`, 'TimeoutError'));
  }, config.timeoutMs);
  const onClientAbort = follow(x.request.signal, controller);
  try {
    const response = await d.transport.send({ method: x.request.method, path: x.path, headers: x.headers, body: x.body.next() }, backend, controller.signal);
    clearTimeout(timeout);
    record.awaiting--;
    const t = now();
    record.sampleLatency(t - startedAt, t);
    record.observeStatus(response.status);
    const failed = response.status >= 500 && config.passive.onStatus.includes(response.status);
    guards.result(backend, !failed, trial, t, `status ${response.status}`, x.pool.backends.length);
    if (response.status >= 500) {
      record.errors++;
      record.lastError = { at: t, message: `status ${response.status}` };
    }
    // The client abort listener stays: a client leaving mid-body cancels the upstream request.
    return { kind: 'response', backend, record, response, startedAt };
  } catch (e) {
    clearTimeout(timeout);
    x.request.signal.removeEventListener('abort', onClientAbort);
    record.awaiting--;
    record.leave();
    if (x.request.signal.aborted) return { kind: 'client_gone' };
    const classified = classify(e, controller.signal, backend.id);
    // Its own time limit ran out: say which, whatever words the runtime chose.
    const error = timedOut && classified.kind === 'timeout' ? attemptTimedOut(backend.id, config.timeoutMs, e) : classified;
    const t = now();
    record.errors++;
    record.lastError = { at: t, message: error.message };
    guards.result(backend, false, trial, t, error.kind, x.pool.backends.length);
    if (error.kind === 'connect' || error.kind === 'reset') d.markDown(backend, error);
    d.log.warn('attempt failed', { server: backend.id, method: x.request.method, path: x.url.pathname, error: error.message });
    return { kind: 'error', backend, record, error, startedAt };
  }
}

/**
 * Aborts `controller` when `client` aborts; returns the listener (for removal).
 * The listener holds only the two signals' owners, never the exchange: a runtime
 * that keeps a request's signal alive until the request is collected (Node's
 * Request registers it with a FinalizationRegistry) would otherwise keep every
 * request body it ever buffered.
 */
function follow(client: AbortSignal, controller: AbortController): () => void {
  const onAbort = () => controller.abort(client.reason);
  client.addEventListener('abort', onAbort, { once: true });
  return onAbort;
}
