import { duration } from '../transport/classify.ts';

/** One failed attempt as reported to the client and in logs. */
export interface AttemptReport {
  server: string;
  error: string;
  duration_ms: number;
}

/** An RFC 9457 problem document. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [extra: string]: unknown;
}

/** A `application/problem+json` response. */
export function problemResponse(problem: Problem, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set('content-type', 'application/problem+json');
  h.set('cache-control', 'no-store');
  const body = new TextEncoder().encode(JSON.stringify(problem));
  h.set('content-length', String(body.byteLength));
  return new Response(body, { status: problem.status, headers: h });
}

const TYPE = 'urn:switchyard:problem:';

export function noServer(path: string, total: number, reason: string): Problem {
  return {
    type: `${TYPE}no-server-available`,
    title: 'No server available',
    status: 503,
    detail: total === 0 ? 'No server is configured.' : `None of the ${total} server(s) can take the request: ${reason}.`,
    instance: path,
  };
}

export function upstreamFailed(path: string, attempts: AttemptReport[], note?: string): Problem {
  const last = attempts[attempts.length - 1];
  const timedOut = last?.error.startsWith('timeout');
  return {
    type: `${TYPE}${timedOut ? 'upstream-timeout' : 'upstream-failed'}`,
    title: timedOut ? 'Upstream timeout' : 'Bad gateway',
    status: timedOut ? 504 : 502,
    detail: `${attempts.length} attempt(s) failed; last: ${last?.error ?? 'none'}${note ? `. ${note}` : ''}`,
    instance: path,
    attempts,
  };
}

export function badRequest(detail: string, errors: string[], path?: string): Problem {
  return { type: `${TYPE}invalid-request`, title: 'Invalid request', status: 400, detail, errors, ...(path ? { instance: path } : {}) };
}

/** A body larger than `load_balancer.max_body`: declared so (`declared`, its Content-Length) or found so while it streamed. */
export function bodyTooLarge(maxBytes: number, declared: number | null, path?: string): Problem {
  return {
    type: `${TYPE}body-too-large`,
    title: 'Request body too large',
    status: 413,
    detail:
      declared === null
        ? `The request body passed load_balancer.max_body (${maxBytes} bytes) while it was sent.`
        : `The request declares a body of ${declared} bytes (Content-Length); load_balancer.max_body is ${maxBytes} bytes.`,
    max_body: maxBytes,
    ...(path ? { instance: path } : {}),
  };
}

/** Seconds a client refused by the queue is told to wait before it tries again (`Retry-After`): the queue's timeout, whole, at least 1. */
export function queueRetryAfterS(timeoutMs: number): number {
  return Math.max(1, Math.ceil(timeoutMs / 1000));
}

/** Every server the request could use was at its max_conns and the queue held `max_queue` requests already. */
export function queueFull(path: string, maxQueue: number, attempts: AttemptReport[]): Problem {
  return {
    type: `${TYPE}queue-full`,
    title: 'Queue full',
    status: 503,
    detail:
      maxQueue === 0
        ? 'Every server is at its max_conns and this service queues no request (max_queue 0).'
        : `Every server is at its max_conns and the queue is full (max_queue ${maxQueue}).`,
    max_queue: maxQueue,
    instance: path,
    ...(attempts.length ? { attempts } : {}),
  };
}

/** The request waited `queue_timeout` in the queue and no server came below its max_conns. */
export function queueTimeout(path: string, timeoutMs: number, attempts: AttemptReport[]): Problem {
  return {
    type: `${TYPE}queue-timeout`,
    title: 'Queue timeout',
    status: 503,
    detail: `Waited queue_timeout (${duration(timeoutMs)}) for a server below its max_conns.`,
    queue_timeout_ms: timeoutMs,
    instance: path,
    ...(attempts.length ? { attempts } : {}),
  };
}
