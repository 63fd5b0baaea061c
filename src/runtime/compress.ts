/**
 * Compressing streams from `node:zlib`, which Node, Bun and Deno all have
 * (gzip and brotli, with per-write flushing). The web `CompressionStream`
 * is not used: it hands on output only when its buffer fills or the body
 * ends, so a line a backend streams would wait for the next ones.
 */
import zlib from 'node:zlib';
import type { CompressStream, ContentCoding } from '../core/compress.ts';
import { responseCompression } from '../core/compress-response.ts';

/** Fast enough to keep up with a proxy, most of the gain: nginx's gzip_comp_level 1 is faster, 6 (zlib's default) smaller. */
const GZIP_LEVEL = 5;
/** Brotli's quality for on-the-fly compression (Cloudflare and Caddy use 4-5; 11 is for static files). */
const BROTLI_QUALITY = 4;

type Engine = zlib.Gzip | zlib.BrotliCompress;

const ENGINES: Record<ContentCoding, () => Engine> = {
  gzip: () => zlib.createGzip({ level: GZIP_LEVEL, flush: zlib.constants.Z_SYNC_FLUSH }),
  br: () =>
    zlib.createBrotliCompress({
      flush: zlib.constants.BROTLI_OPERATION_FLUSH,
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT },
    }),
};

/**
 * A web TransformStream over a zlib engine that flushes after every chunk
 * written (Z_SYNC_FLUSH, BROTLI_OPERATION_FLUSH): each chunk's output is
 * handed on as soon as the engine has it, the stream's end once the engine's
 * last bytes are out. A write waits for the engine to take the chunk, so a
 * slow reader holds the writer back. Cancelled or aborted, the engine is
 * destroyed.
 */
export const zlibCompress: CompressStream = (encoding) => {
  const make = ENGINES[encoding];
  if (!make) return undefined;
  const engine = make();
  let failure: unknown;
  // `cancel` (reader gone, writer aborted) is in every runtime here, not yet in TypeScript's Transformer type.
  const transformer: Transformer<Uint8Array, Uint8Array> & { cancel(): void } = {
    start(controller) {
      engine.on('data', (b: Buffer) => {
        // Never enqueue into a stream that has ended or failed.
        if (failure === undefined) controller.enqueue(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
      });
      engine.on('error', (e) => {
        failure ??= e;
        try {
          controller.error(e);
        } catch {
          // Already errored or closed.
        }
      });
    },
    transform(chunk) {
      if (failure !== undefined) throw failure;
      return new Promise<void>((resolve, reject) => engine.write(chunk, (e) => (e ? reject(e) : resolve())));
    },
    flush() {
      return new Promise<void>((resolve, reject) => {
        engine.once('end', resolve);
        engine.once('error', reject);
        engine.end();
      });
    },
    cancel() {
      failure ??= new Error('cancelled');
      engine.destroy();
    },
  };
  return new TransformStream<Uint8Array, Uint8Array>(transformer);
};

/** Compressed responses through `zlibCompress`: what the Node, Bun and Deno entries inject. */
export const zlibCompression = responseCompression(zlibCompress);
