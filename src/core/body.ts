/** A request body made ready for one or more attempts. */
export interface PreparedBody {
  /** Gives the body for the next attempt (a fresh copy when buffered). */
  next(): BodyInit | null;
  /** True when every attempt can get the whole body. */
  readonly replayable: boolean;
  /** Bytes buffered for replay (0 when streamed). */
  readonly bufferedBytes: number;
}

const NONE: PreparedBody = { next: () => null, replayable: true, bufferedBytes: 0 };

/**
 * Reads up to `limit` bytes of the request body. A body that ends within the
 * limit is kept and replayable; a larger one streams on (what was read first,
 * then the rest) and can be sent only once. A declared `Content-Length` above
 * the limit streams at once without reading.
 */
export async function prepareBody(request: Request, limit: number): Promise<PreparedBody> {
  // Method and length first: on Node, touching `body` builds a full Request.
  if (request.method === 'GET' || request.method === 'HEAD') return NONE;
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared === 0 || !request.body) return NONE;
  if (declared > limit) return once(request.body);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size <= limit) {
    const { done, value } = await reader.read();
    if (done) {
      const buffer = concat(chunks, size);
      return { next: () => buffer.slice(), replayable: true, bufferedBytes: size };
    }
    chunks.push(value);
    size += value.byteLength;
  }
  return once(resume(chunks, reader));
}

function once(stream: ReadableStream<Uint8Array>): PreparedBody {
  let used = false;
  return {
    next() {
      if (used) throw new Error('streamed request body was already sent');
      used = true;
      return stream;
    },
    replayable: false,
    bufferedBytes: 0,
  };
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/** A stream that yields the chunks already read, then the rest of `reader`. */
function resume(head: Uint8Array[], reader: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i < head.length) {
        controller.enqueue(head[i++]);
        return;
      }
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** What a body held to a limit fails with once it passes the limit. */
export class BodyTooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`request body larger than load_balancer.max_body (${limit} bytes)`);
    this.name = 'BodyTooLargeError';
    this.limit = limit;
  }
}

/** A request whose body is held to a limit. */
export interface LimitedRequest {
  /** The request to hand on (the same object when there is nothing to count). */
  readonly request: Request;
  /** True once the body passed the limit. */
  exceeded(): boolean;
}

const never = () => false;

/**
 * Holds `request`'s body to `maxBytes` (0: no limit). A declared
 * Content-Length above it is refused at once (`'too_large'`), before a byte
 * is read; one within it is left as it is (the runtime's parser ends the body
 * there). A body of unknown length is counted as it streams: once it passes
 * the limit, the returned request's signal aborts and then its body fails with
 * `BodyTooLargeError`, so whatever is sending it on stops as if the client had
 * gone. The client going away still aborts the returned request's signal.
 */
export function limitBody(request: Request, maxBytes: number): LimitedRequest | 'too_large' {
  const same: LimitedRequest = { request, exceeded: never };
  if (maxBytes <= 0 || request.method === 'GET' || request.method === 'HEAD') return same;
  const header = request.headers.get('content-length');
  if (header !== null && /^\d+$/.test(header)) return Number(header) > maxBytes ? 'too_large' : same;
  const source = request.body;
  if (!source) return same;

  const controller = new AbortController();
  const follow = () => controller.abort(request.signal.reason);
  if (request.signal.aborted) follow();
  else request.signal.addEventListener('abort', follow, { once: true });
  const reader = source.getReader();
  let size = 0;
  let over = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      const { done, value } = await reader.read();
      if (done) return ctrl.close();
      size += value.byteLength;
      if (size <= maxBytes) return ctrl.enqueue(value);
      // The rest stays unread (not cancelled: on Node that would destroy the
      // client's connection before it could be answered).
      over = true;
      const error = new BodyTooLargeError(maxBytes);
      controller.abort(error);
      ctrl.error(error);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  const limited = new Request(request, { body, signal: controller.signal, duplex: 'half' } as RequestInit);
  return { request: limited, exceeded: () => over };
}
