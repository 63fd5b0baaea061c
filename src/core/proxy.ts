import type { PoolSettings } from '../config/types.ts';
import type { Transport } from '../transport/types.ts';
import { isLowPriority } from '../traffic/priority.ts';
import type { Offer, WaitQueue } from '../traffic/queue.ts';
import { attempt, type Outcome } from './attempt.ts';
import { BodyTooLargeError, prepareBody, type PreparedBody } from './body.ts';
import type { Compress } from './compress.ts';
import type { RetryBudget } from './budget.ts';
import { chooseServer } from './choose.ts';
import type { Exchange } from './exchange.ts';
import { upstreamHeaders } from './forward.ts';
import type { Guards } from './guards.ts';
import type { Logger } from './log.ts';
import type { Pool } from './pool.ts';
import { badRequest, bodyTooLarge, problemResponse } from './problems.ts';
import type { RuntimeTable } from './records.ts';
import { release, respond, type RequestDone } from './respond.ts';
import { backoffMs, shouldRetry, type RetryDecision } from './retry.ts';
import type { Totals } from './stats.ts';
import { readSticky, type SessionTable, type StickyTokens } from './sticky.ts';
import type { Backend, RequestInfo, UpstreamError } from './types.ts';

export interface ProxyDeps {
  /** The service's settings. */
  config: PoolSettings;
  /** The service's name (in the served-by header and the access log). */
  service: string;
  /** Response header naming the service and server that answered; `''`: none. */
  servedByHeader: string;
  transport: Transport;
  guards: Guards;
  records: RuntimeTable;
  totals: Totals;
  budget: RetryBudget;
  log: Logger;
  now: () => number;
  random: () => number;
  /** The pool to pick from now (slow start may ramp weights). */
  pool: (now: number) => Pool;
  /** Marks a server down for a connection-level failure seen on real traffic. */
  markDown: (b: Backend, error: UpstreamError) => void;
  /** Why no server can take a request, for the 503 body. */
  describeUnavailable: () => string;
  /** Called once per request when its response is complete (body sent, failed or cancelled). */
  onDone?: (entry: RequestDone) => void;
  /** Sticky sessions seen, when `config.sticky` is on. */
  sessions?: SessionTable;
  /** The tokens sticky cookies carry, when `config.sticky` is on. */
  tokens: () => StickyTokens | undefined;
  /** The service's queue for requests that find every server they could use at its max_conns (outlives the proxy). */
  queue: WaitQueue<Backend>;
  /** The runtime's compressing streams, for `config.compression` (none: never compressed). */
  compress?: Compress;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The retry loop: `place` the request on a server → `attempt` →
 * `shouldRetry`, the only decision → `respond` with the answer, or `release`
 * the attempt and go round. A request that finds every server it could use
 * at its max_conns waits in the service's queue for the first to free up.
 */
export function createProxy(d: ProxyDeps): (request: Request, info: RequestInfo, path?: string) => Promise<Response> {
  const { config, now, queue } = d;
  const respondDeps = { ...d, decodesBodies: d.transport.decodesBodies, compression: config.compression && d.compress ? d.compress.rules(config.compression) : null };
  // A place frees whenever a request leaves flight; the servers may have changed (this proxy is new): offer both to the queue.
  d.records.onLeave = () => {
    if (queue.length) queue.wake(hasRoom);
  };
  if (queue.length) queue.wake(hasRoom);

  return async function proxy(request, info, path) {
    const x = await begin(request, info, path);
    if (x instanceof Response) return x;
    for (;;) {
      const placed = await place(x);
      if (placed.kind === 'queue_full' || placed.kind === 'queue_timeout') return respond(respondDeps, x, placed, { retry: false, reason: '' });
      const outcome = placed.kind === 'backend' ? await attempt(d, x, placed.backend) : placed;
      const decision = decide(x, outcome);
      if (!decision.retry) return respond(respondDeps, x, outcome, decision);
      release(respondDeps, x, outcome);
      d.budget.spend(now());
      d.totals.retried();
      const wait = backoffMs(x.attempts.length, config.backoff.baseMs, config.backoff.maxMs, d.random);
      if (wait > 0) await sleep(wait);
    }
  };

  /**
   * A server for the request's next attempt, entered into flight; else why
   * none: no server could take it, or it waited in the queue (every server it
   * could use was at its max_conns) and was refused, timed out or left.
   */
  async function place(x: Exchange): Promise<{ kind: 'backend'; backend: Backend } | Extract<Outcome, { kind: 'no_server' | 'client_gone' | 'queue_full' | 'queue_timeout' }>> {
    const t = now();
    // Those already waiting are offered any free place first: a newcomer never overtakes them.
    if (queue.length) queue.wake(hasRoom);
    const backend = enter(x, t);
    if (backend) return { kind: 'backend', backend };
    if (!atCapOnly(x, t)) return { kind: 'no_server' };
    const r = await queue.wait(() => offer(x), { low: isLowPriority(x.request.headers, config.priority), signal: x.request.signal, limits: config.queue });
    switch (r.kind) {
      case 'granted':
        return { kind: 'backend', backend: r.value };
      case 'full':
        return { kind: 'queue_full', maxQueue: r.maxQueue, timeoutMs: config.queue.timeoutMs };
      case 'timeout':
        return { kind: 'queue_timeout', timeoutMs: r.timeoutMs };
      case 'aborted':
        return { kind: 'client_gone' };
      case 'left':
        return { kind: 'no_server' };
    }
  }

  /** What a queued request answers when a place may have freed: it takes a server (entered into flight), waits on, or leaves (none it could use is left). */
  function offer(x: Exchange): Offer<Backend> {
    // Runs inside whichever request freed the place (its body's end): never let a fault here reach that response.
    try {
      const t = now();
      x.pool = d.pool(t);
      const backend = enter(x, t);
      if (backend) return { took: backend };
      return atCapOnly(x, t) ? 'wait' : 'leave';
    } catch (e) {
      d.log.error('queued request could not be placed', { service: d.service, path: x.url.pathname, error: String(e) });
      return 'leave';
    }
  }

  /** `choose`, and the chosen server's record entered into flight at once (its place is held from here). */
  function enter(x: Exchange, t: number): Backend | undefined {
    const backend = choose(x, t);
    if (backend) d.records.get(backend.id).enter();
    return backend;
  }

  /** The best server not tried yet, below its max_conns, that can take the request; a session's first attempt goes to its own server when that one can. */
  function choose(x: Exchange, t: number): Backend | undefined {
    return chooseServer({ pool: x.pool, pick: x.pick, tried: x.tried, panic: x.panic, sticky: x.sticky, tokens: d.tokens() }, d.guards, d.records, t);
  }

  /** Whether some server the request could use (not tried, available) is there, at its max_conns: then it waits rather than gets 503. */
  function atCapOnly(x: Exchange, t: number): boolean {
    return x.pool.backends.some((b) => !x.tried.has(b.id) && !d.records.belowCap(b) && d.guards.available(b, t, x.panic));
  }

  /** Whether some server of the service is available now and below its max_conns (a place a waiter might take). */
  function hasRoom(): boolean {
    const t = now();
    const pool = d.pool(t);
    const panic = d.guards.panicking(pool.backends);
    return pool.backends.some((b) => d.records.belowCap(b) && d.guards.available(b, t, panic));
  }

  function decide(x: Exchange, o: Exclude<Outcome, { kind: 'queue_full' | 'queue_timeout' }>): RetryDecision {
    return shouldRetry({
      method: x.request.method,
      idempotencyKey: x.request.headers.has('idempotency-key'),
      failure: o.kind === 'response' ? o.response.status : o.kind === 'error' ? o.error.kind : o.kind,
      retryOn: config.retryOn,
      attempts: x.attempts.length + 1,
      maxAttempts: config.retries + 1,
      elapsedMs: now() - x.startedAt,
      tryDurationMs: config.tryDurationMs,
      replayable: x.body.replayable,
      untriedLeft: x.tried.size < x.pool.backends.length,
      budgetLeft: d.budget.allows(now()),
    });
  }

  /** The exchange for a request, or the 400 a request gets when no server should see it. */
  async function begin(request: Request, info: RequestInfo, path: string | undefined): Promise<Exchange | Response> {
    const startedAt = now();
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      // Some runtimes hand on a Host header their parser let through but no URL can hold.
      info.settled?.();
      return problemResponse(badRequest('The request target or Host header is not valid.', [`(url): ${JSON.stringify(request.url)}`]));
    }
    let body: PreparedBody;
    try {
      body = await prepareBody(request, config.replayBufferBytes);
    } catch (e) {
      // The client broke or abandoned its own body, or sent more than max_body: its fault, no server involved.
      const tooLarge = e instanceof BodyTooLargeError;
      d.log.info(tooLarge ? 'request body too large' : 'request body unreadable', { method: request.method, path: url.pathname, error: String(e) });
      info.settled?.();
      d.onDone?.({ request, clientIp: info.clientIp, service: d.service, status: tooLarge ? 413 : 400, server: null, attempts: 0, startedAt, durationMs: now() - startedAt, bytes: 0 });
      if (tooLarge) return problemResponse(bodyTooLarge(e.limit, null, url.pathname));
      return problemResponse(badRequest('The request body could not be read: the client ended or broke it.', [`(body): ${String(e)}`], url.pathname));
    }
    const pool = d.pool(startedAt);
    d.budget.request(startedAt);
    return {
      request,
      info,
      url,
      path: path ?? url.pathname + url.search,
      pick: { request, url, clientIp: info.clientIp },
      body,
      headers: upstreamHeaders(request.headers, { clientIp: info.clientIp, proto: url.protocol.slice(0, -1), host: request.headers.get('host') ?? url.host }),
      pool,
      panic: d.guards.panicking(pool.backends),
      startedAt,
      sticky: config.sticky ? readSticky(request.headers.get('cookie'), config.sticky.cookie) : null,
      tried: new Set(),
      attempts: [],
    };
  }
}
