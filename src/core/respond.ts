import type { PoolSettings } from '../config/types.ts';
import { DEFAULT_SERVICE } from '../config/service-name.ts';
import { discardBody } from '../transport/types.ts';
import type { Outcome } from './attempt.ts';
import type { Compress, CompressionRules } from './compress.ts';
import type { Exchange } from './exchange.ts';
import { downstreamHeaders, isBodyless } from './forward.ts';
import { noServer, problemResponse, queueFull, queueRetryAfterS, queueTimeout, upstreamFailed } from './problems.ts';
import type { RetryDecision } from './retry.ts';
import type { Totals } from './stats.ts';
import { mustIssue, newSessionId, stickyCookie, type SessionTable, type StickyTokens } from './sticky.ts';

/** One finished request, for the access log and metrics. */
export interface RequestDone {
  request: Request;
  clientIp: string;
  /** The service that handled it. */
  service: string;
  status: number;
  /** The backend that answered, or null when the balancer answered itself. */
  server: string | null;
  attempts: number;
  startedAt: number;
  durationMs: number;
  bytes: number;
}

export interface RespondDeps {
  config: PoolSettings;
  service: string;
  servedByHeader: string;
  /** The transport hands on decoded bodies (their encoding headers are dropped). */
  decodesBodies: boolean;
  totals: Totals;
  now: () => number;
  /** Sticky sessions seen, when `config.sticky` is on. */
  sessions?: SessionTable;
  /** The tokens sticky cookies carry, when `config.sticky` is on. */
  tokens: () => StickyTokens | undefined;
  /** Why no server can take a request, for the 503 body. */
  describeUnavailable: () => string;
  /** Called once per request when its response is complete (body sent, failed or cancelled). */
  onDone?: (entry: RequestDone) => void;
  /** The service's `compression`, compiled; null when off. */
  compression: CompressionRules | null;
  /** The runtime's compressing streams (none: responses are never compressed). */
  compress?: Compress;
}

/** What the served-by header says: `host:port` for the default service, `SERVICE/host:port` for another. */
export function servedBy(service: string, id: string): string {
  return service === DEFAULT_SERVICE ? id : `${service}/${id}`;
}

/** Reports an exchange as done. */
export function finish(d: RespondDeps, x: Exchange, status: number, server: string | null, bytes: number): void {
  x.info.settled?.();
  d.onDone?.({ request: x.request, clientIp: x.info.clientIp, service: d.service, status, server, attempts: x.attempts.length + (server ? 1 : 0), startedAt: x.startedAt, durationMs: d.now() - x.startedAt, bytes });
}

/** Gives up an attempt that will be retried: its body is discarded, it leaves flight, and it joins the attempts report. */
export function release(d: RespondDeps, x: Exchange, o: Outcome): void {
  if (o.kind === 'response') {
    o.record.leave();
    discardBody(o.response.body);
    x.attempts.push({ server: o.backend.id, error: `status ${o.response.status}`, duration_ms: Math.round(d.now() - o.startedAt) });
  } else if (o.kind === 'error') {
    x.attempts.push({ server: o.backend.id, error: o.error.message, duration_ms: Math.round(d.now() - o.startedAt) });
  }
}

const capitalise = (s: string) => (s ? s[0].toUpperCase() + s.slice(1) : undefined);

/**
 * The client's answer for an outcome that is not retried: the server's
 * response (downstream headers, served-by, sticky cookie, its body tracked to
 * the end), or the balancer's own 499/502/503/504 (a 503 from the queue says
 * whether it was full or the wait timed out, with `Retry-After`).
 */
export function respond(d: RespondDeps, x: Exchange, o: Outcome, decision: RetryDecision): Response {
  if (o.kind === 'response') return passOn(d, x, o);
  if (o.kind === 'client_gone') return answer(d, x, new Response(null, { status: 499 }));
  d.totals.count(false, d.now());
  if (o.kind === 'queue_full' || o.kind === 'queue_timeout') {
    const problem = o.kind === 'queue_full' ? queueFull(x.url.pathname, o.maxQueue, x.attempts) : queueTimeout(x.url.pathname, o.timeoutMs, x.attempts);
    return answer(d, x, problemResponse(problem, { 'retry-after': String(queueRetryAfterS(o.timeoutMs)) }));
  }
  if (o.kind === 'error') release(d, x, o);
  if (x.attempts.length) return answer(d, x, problemResponse(upstreamFailed(x.url.pathname, x.attempts, capitalise(decision.reason))));
  return answer(d, x, problemResponse(noServer(x.url.pathname, x.pool.backends.length, d.describeUnavailable())));
}

function answer(d: RespondDeps, x: Exchange, res: Response): Response {
  if (res.status >= 500) d.totals.answered(res.status);
  finish(d, x, res.status, null, Number(res.headers.get('content-length') ?? 0));
  return res;
}

function passOn(d: RespondDeps, x: Exchange, o: Extract<Outcome, { kind: 'response' }>): Response {
  const { config, now } = d;
  const { backend, record, response: res } = o;
  d.totals.count(res.status < 500, now());
  const out = downstreamHeaders(res.headers, d.decodesBodies);
  if (d.servedByHeader) out.set(d.servedByHeader, servedBy(d.service, backend.id));
  const sticky = config.sticky;
  const tokens = d.tokens();
  if (sticky && tokens) {
    const token = tokens.token(backend.id);
    const sid = x.sticky?.sid ?? newSessionId();
    const t = now();
    d.sessions?.touch(sid, backend.id, t);
    const nowS = Math.floor(t / 1000);
    if (mustIssue(x.sticky, token, nowS, sticky.ttlMs)) out.append('set-cookie', stickyCookie(sticky, { token, sid, issuedAt: nowS }));
  }
  const body = res.body;
  const compressor = d.compression && d.compress ? d.compress.forResponse(d.compression, x.request, res, out, d.totals) : undefined;
  const init = { status: res.status, statusText: res.statusText, headers: out };
  if (isBodyless(x.request.method, res.status) || !body) {
    record.leave();
    discardBody(body);
    finish(d, x, res.status, backend.id, 0);
    return new Response(null, init);
  }
  if (body instanceof Uint8Array) {
    // A small body the transport already read: it leaves flight now, and needs stream plumbing only to be compressed.
    record.leave();
    if (compressor) return new Response(track(compressor.pipe(whole(body)), (bytes) => finish(d, x, res.status, backend.id, compressor.done(bytes))), init);
    finish(d, x, res.status, backend.id, body.byteLength);
    return new Response(body as unknown as BodyInit, init);
  }
  // Compressed, the tracker counts what the client receives, and the body leaves flight when the compressor's last bytes are out.
  return new Response(
    track(compressor ? compressor.pipe(body) : body, (bytes) => {
      record.leave();
      finish(d, x, res.status, backend.id, compressor ? compressor.done(bytes) : bytes);
    }),
    init,
  );
}

/** A body read whole, as a stream of one chunk. */
function whole(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

/** Wraps a body so `done` runs once, with the bytes that went through, when the body ends, fails or is cancelled. */
function track(body: ReadableStream<Uint8Array>, done: (bytes: number) => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let open = true;
  let bytes = 0;
  const close = () => {
    if (open) {
      open = false;
      done(bytes);
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const r = await reader.read();
        if (r.done) {
          close();
          controller.close();
        } else {
          bytes += r.value.byteLength;
          controller.enqueue(r.value);
        }
      } catch (error) {
        close();
        controller.error(error);
      }
    },
    cancel(reason) {
      close();
      return reader.cancel(reason);
    },
  });
}
