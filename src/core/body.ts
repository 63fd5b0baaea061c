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
