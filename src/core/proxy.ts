import type { PickContext } from '../policies/types.ts';
import type { Config } from '../config/types.ts';
import { BUFFERED_BODY, type MaybeBuffered, type Transport } from '../transport/types.ts';
import { prepareBody, type PreparedBody } from './body.ts';
import type { RetryBudget } from './budget.ts';
import { downstreamHeaders, isBodyless, upstreamHeaders } from './forward.ts';
import type { Guards } from './guards.ts';
import type { Logger } from './log.ts';
import type { Pool } from './pool.ts';
import { badRequest, noServer, problemResponse, upstreamFailed, type AttemptReport } from './problems.ts';
import { backoffMs, shouldRetry } from './retry.ts';
import type { RuntimeTable } from './records.ts';
import type { ServerCounters, Totals } from './stats.ts';
import { mustIssue, newSessionId, readSticky, serverToken, stickyBackend, stickyCookie, type SessionTable } from './sticky.ts';
import { UpstreamError, type Backend, type RequestInfo } from './types.ts';

export interface ProxyDeps {
  config: Config;
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
}

/** One finished request, for the access log and metrics. */
export interface RequestDone {
  request: Request;
  clientIp: string;
  status: number;
  /** The backend that answered, or null when the balancer answered itself. */
  server: string | null;
  attempts: number;
  startedAt: number;
  durationMs: number;
  bytes: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The retry loop: pick → send → on failure record it and ask `shouldRetry`
 * whether to try another server → the response, or a 502/503/504 problem.
 */
export function createProxy(d: ProxyDeps): (request: Request, info: RequestInfo) => Promise<Response> {
  const { config, transport, guards, records, totals, log, now } = d;
  const retryOn = config.retryOn;

  /** Wraps a body so the backend's in-flight count drops (and `finish` runs) when it ends, fails or is cancelled. */
  function track(body: ReadableStream<Uint8Array>, c: ServerCounters, finish: (bytes: number) => void): ReadableStream<Uint8Array> {
    const reader = body.getReader();
    let open = true;
    let bytes = 0;
    const done = () => {
      if (open) {
        open = false;
        c.inFlight--;
        finish(bytes);
      }
    };
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const r = await reader.read();
          if (r.done) {
            done();
            controller.close();
          } else {
            bytes += r.value.byteLength;
            controller.enqueue(r.value);
          }
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

  return async function proxy(request: Request, info: RequestInfo): Promise<Response> {
    const started = now();
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      // Some runtimes hand on a Host header their parser let through but no URL can hold.
      return problemResponse(badRequest('The request target or Host header is not valid.', [`(url): ${JSON.stringify(request.url)}`]));
    }
    const path = url.pathname + url.search;
    const ctx: PickContext = { request, url, clientIp: info.clientIp };
    let body: PreparedBody;
    try {
      body = await prepareBody(request, config.replayBufferBytes);
    } catch (e) {
      // The client broke or abandoned its own body: its fault, no server involved.
      log.info('request body unreadable', { method: request.method, path: url.pathname, error: String(e) });
      d.onDone?.({ request, clientIp: info.clientIp, status: 400, server: null, attempts: 0, startedAt: started, durationMs: now() - started, bytes: 0 });
      return problemResponse(badRequest('The request body could not be read: the client ended or broke it.', [`(body): ${String(e)}`], url.pathname));
    }
    const headers = upstreamHeaders(request.headers, {
      clientIp: info.clientIp,
      proto: url.protocol.slice(0, -1),
      host: request.headers.get('host') ?? url.host,
    });
    const pool = d.pool(started);
    const panic = config.panicThreshold > 0 && guards.healthyPercent(pool.backends) < config.panicThreshold;
    const tried = new Set<string>();
    const attempts: AttemptReport[] = [];
    const maxAttempts = config.retries + 1;
    d.budget.request(started);
    const finish = (status: number, server: string | null, bytes: number) =>
      d.onDone?.({ request, clientIp: info.clientIp, status, server, attempts: attempts.length + (server ? 1 : 0), startedAt: started, durationMs: now() - started, bytes });
    const answer = (res: Response) => {
      finish(res.status, null, Number(res.headers.get('content-length') ?? 0));
      return res;
    };

    const sticky = config.sticky;
    const stuck = sticky ? readSticky(request.headers.get('cookie'), sticky.cookie) : null;

    for (;;) {
      const t0 = now();
      const accept = (b: Backend) => !tried.has(b.id) && guards.available(b, t0, panic);
      // A session's first attempt goes to its server while that one can take it.
      const backend = (stuck && !tried.size && stickyBackend(pool, stuck.token, accept)) || pool.pick(ctx, accept);
      if (!backend) {
        totals.count(false, now());
        if (attempts.length) return answer(problemResponse(upstreamFailed(url.pathname, attempts, 'no other server left to try')));
        return answer(problemResponse(noServer(url.pathname, pool.backends.length, d.describeUnavailable())));
      }
      tried.add(backend.id);
      const trial = guards.admit(backend, t0);
      const c = records.get(backend.id);
      c.inFlight++;
      c.requests++;
      // One controller per attempt, aborted by the timeout or by the client going away.
      // (Not AbortSignal.any: on Node 20 it is slow and keeps signals alive.)
      const attempt = new AbortController();
      const timeout = setTimeout(
        () => attempt.abort(new DOMException(`no response within ${config.timeoutMs} ms`, 'TimeoutError')),
        config.timeoutMs,
      );
      const onClientAbort = () => attempt.abort(request.signal.reason);
      request.signal.addEventListener('abort', onClientAbort, { once: true });
      const signal = attempt.signal;
      let failure: UpstreamError | number;
      let res: Response | undefined;
      try {
        res = await transport.send({ method: request.method, path, headers, body: body.next() }, backend, signal);
        clearTimeout(timeout);
        const t = now();
        c.observeLatency(t - t0, t);
        c.observeStatus(res.status);
        const failed = res.status >= 500 && config.passive.onStatus.includes(res.status);
        guards.result(backend, !failed, trial, t, `status ${res.status}`, pool.backends.length);
        if (res.status >= 500) {
          c.errors++;
          c.lastError = { at: t, message: `status ${res.status}` };
        }
        failure = res.status;
      } catch (e) {
        clearTimeout(timeout);
        request.signal.removeEventListener('abort', onClientAbort);
        c.inFlight--;
        if (request.signal.aborted) return answer(new Response(null, { status: 499 })); // the client went away
        const error = e instanceof UpstreamError ? e : new UpstreamError('protocol', String(e));
        const t = now();
        c.errors++;
        c.lastError = { at: t, message: error.message };
        guards.result(backend, false, trial, t, error.kind, pool.backends.length);
        if (error.kind === 'connect' || error.kind === 'reset') d.markDown(backend, error);
        log.warn('attempt failed', { server: backend.id, method: request.method, path: url.pathname, error: error.message });
        failure = error;
      }
      const kind = typeof failure === 'number' ? failure : failure.kind;
      const decision =
        typeof failure === 'number' && !retryOn.statuses.includes(failure)
          ? { retry: false, reason: '' }
          : shouldRetry({
              method: request.method,
              idempotencyKey: request.headers.has('idempotency-key'),
              failure: kind,
              retryOn,
              attempts: attempts.length + 1,
              maxAttempts,
              elapsedMs: now() - started,
              tryDurationMs: config.tryDurationMs,
              replayable: body.replayable,
              untriedLeft: tried.size < pool.backends.length,
            });
      const retry = decision.retry && d.budget.tryRetry(now());
      if (res && !retry) {
        // The answer stands (a success, or a failure we do not retry): pass it on.
        totals.count(res.status < 500, now());
        const out = downstreamHeaders(res.headers, transport.decodesBodies);
        if (config.servedByHeader) out.set(config.servedByHeader, backend.id);
        if (sticky) {
          const token = serverToken(backend.id);
          const sid = stuck?.sid ?? newSessionId();
          const t = now();
          d.sessions?.touch(sid, backend.id, t);
          const nowS = Math.floor(t / 1000);
          if (mustIssue(stuck, token, nowS, sticky.ttlMs)) out.append('set-cookie', stickyCookie(sticky, { token, sid, issuedAt: nowS }));
        }
        const buffered = (res as MaybeBuffered)[BUFFERED_BODY];
        if (buffered && !isBodyless(request.method, res.status)) {
          // Small body already read by the transport: no stream plumbing.
          c.inFlight--;
          finish(res.status, backend.id, buffered.bytes.byteLength);
          return new Response(buffered.bytes as unknown as BodyInit, { status: res.status, statusText: buffered.statusText, headers: out });
        }
        if (isBodyless(request.method, res.status) || !res.body) {
          c.inFlight--;
          res.body?.cancel().catch(() => {});
          finish(res.status, backend.id, 0);
          return new Response(null, { status: res.status, statusText: res.statusText, headers: out });
        }
        const status = res.status;
        return new Response(track(res.body, c, (bytes) => finish(status, backend.id, bytes)), { status, statusText: res.statusText, headers: out });
      }
      if (res) {
        c.inFlight--;
        res.body?.cancel().catch(() => {});
      }
      attempts.push({
        server: backend.id,
        error: typeof failure === 'number' ? `status ${failure}` : failure.message,
        duration_ms: Math.round(now() - t0),
      });
      if (!retry) {
        totals.count(false, now());
        const reason = decision.retry ? 'not retried: the retry budget is used up' : decision.reason;
        return answer(problemResponse(upstreamFailed(url.pathname, attempts, reason ? reason[0].toUpperCase() + reason.slice(1) : undefined)));
      }
      totals.retries++;
      const wait = backoffMs(attempts.length, config.backoff.baseMs, config.backoff.maxMs, d.random);
      if (wait > 0) await sleep(wait);
    }
  };
}
