import { addVary, compressedHeaders, compressionRules, planCompression, type BodyCompressor, type Compress, type CompressionRules, type CompressStream } from './compress.ts';

/** Compressed responses over `stream` (the runtime's flushing compressors): what an entry injects as `Platform.compress`. */
export function responseCompression(stream: CompressStream): Compress {
  return { rules: compressionRules, forResponse: (rules, request, res, out, totals) => compressorFor(rules, stream, request, res, out, totals) };
}

/**
 * How a response's body is compressed, its headers (`out`) made to say so;
 * undefined when it is sent as it is (with `Vary: Accept-Encoding` when
 * another client's could have been compressed).
 */
function compressorFor(rules: CompressionRules, compress: CompressStream, request: Request, res: Parameters<Compress['forResponse']>[2], out: Headers, totals: Parameters<Compress['forResponse']>[4]): BodyCompressor | undefined {
  const plan = planCompression(rules, {
    method: request.method,
    acceptEncoding: request.headers.get('accept-encoding'),
    status: res.status,
    // As the backend sent them: a body a decoding transport decoded was the backend's to encode, and is not compressed again.
    headers: res.headers,
    ...(res.body instanceof Uint8Array ? { bodyBytes: res.body.byteLength } : {}),
  });
  const encoding = plan.encoding;
  const stream = encoding && res.body ? compress(encoding) : undefined;
  if (!stream) {
    if (plan.vary) addVary(out);
    return undefined;
  }
  compressedHeaders(out, encoding!);
  let bytesIn = 0;
  const counted = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      bytesIn += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return {
    pipe: (body) => body.pipeThrough(counted).pipeThrough(stream),
    done: (bytesOut) => {
      totals.compressedBody(encoding!, bytesIn, bytesOut);
      return bytesOut;
    },
  };
}
