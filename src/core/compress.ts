/**
 * Response compression: which responses are compressed for the client, and
 * with what (pure decisions), and the header changes that go with it. The
 * compressing streams themselves come from the runtime entry (`Compress`).
 */
import type { CompressionConfig, ContentCoding } from '../config/compression-schema.ts';

export type { CompressionConfig, ContentCoding };

/**
 * A stream that compresses what is written to it with `encoding` and hands
 * on each chunk's output as soon as that chunk is written (a sync flush per
 * chunk, so a line a backend sends reaches the client when it is sent);
 * undefined when the runtime cannot produce `encoding`. Injected by the
 * entries of runtimes that have one (Node, Bun, Deno); none on Workers.
 */
export type CompressStream = (encoding: ContentCoding) => TransformStream<Uint8Array, Uint8Array> | undefined;

/** A body's compression: `pipe` sends the body through it; `done`, given the bytes the client received, counts both sides into the totals once and hands them back. */
export interface BodyCompressor {
  pipe(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array>;
  done(bytesOut: number): number;
}

/** What responds with compressed bodies, as the entries inject it (Node, Bun, Deno; Workers has none, so none of this is in its bundle). */
export interface Compress {
  /** A service's `compression` made ready for the request path. */
  rules(config: CompressionConfig): CompressionRules;
  /** How a response's body is compressed, its headers (`out`) made to say so; undefined when it is sent as it is (with `Vary: Accept-Encoding` when another client's could have been compressed). */
  forResponse(rules: CompressionRules, request: Request, res: { status: number; headers: Headers; body: ReadableStream<Uint8Array> | Uint8Array | null }, out: Headers, totals: { compressedBody(encoding: ContentCoding, bytesIn: number, bytesOut: number): void }): BodyCompressor | undefined;
}

/** `compression` settings made ready for the request path: the type patterns compiled once. */
export interface CompressionRules {
  encodings: readonly ContentCoding[];
  minBytes: number;
  /** Whether a media type (lower case, no parameters) is compressible. */
  compressible(mediaType: string): boolean;
}

const NEVER = 'text/event-stream';

/** Compiles `config` for `planCompression`: `*` in a pattern matches any run of characters other than `/`. */
export function compressionRules(config: CompressionConfig): CompressionRules {
  const escape = (s: string) => s.replace(/[.+^$|()[\]{}\\?]/g, '\\$&').replace(/\*/g, '[^/]*');
  const exact = new Set(config.types.filter((t) => !t.includes('*')));
  const globs = config.types.filter((t) => t.includes('*'));
  const glob = globs.length ? new RegExp(`^(?:${globs.map(escape).join('|')})$`) : null;
  return {
    encodings: config.encodings,
    minBytes: config.minBytes,
    compressible: (t) => t !== NEVER && (exact.has(t) || (glob !== null && glob.test(t))),
  };
}

/** The client's preferences from Accept-Encoding: each named coding's q, `*`'s, and whether identity is refused. */
export interface AcceptedEncodings {
  /** q (0-1) per coding named, lower case (`x-gzip` counts as `gzip`). */
  q: Map<string, number>;
  /** q of `*`, or undefined when absent. */
  any: number | undefined;
  /** The client refuses an unencoded body (`identity;q=0`, or `*;q=0` without identity). */
  identityRefused: boolean;
}

/** Parses Accept-Encoding (RFC 9110 §12.5.3); an element with a malformed q is ignored. */
export function parseAcceptEncoding(header: string): AcceptedEncodings {
  const q = new Map<string, number>();
  let any: number | undefined;
  for (const element of header.split(',')) {
    const [rawName, ...params] = element.split(';');
    let name = rawName.trim().toLowerCase();
    if (!name) continue;
    if (name === 'x-gzip') name = 'gzip';
    let weight = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*(.*?)\s*$/i.exec(p);
      if (m) weight = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(m[1]) ? Number(m[1]) : NaN;
    }
    if (Number.isNaN(weight)) continue;
    if (name === '*') any = weight;
    // A coding named twice: the first says it (as most servers read it).
    else if (!q.has(name)) q.set(name, weight);
  }
  const identity = q.get('identity');
  return { q, any, identityRefused: identity === 0 || (identity === undefined && any === 0) };
}

/** The coding to use of `available` (in the balancer's order): the client's most preferred, the balancer's order breaking ties; null when it accepts none. */
export function pickEncoding(accepted: AcceptedEncodings, available: readonly ContentCoding[]): ContentCoding | null {
  let best: ContentCoding | null = null;
  let bestQ = 0;
  for (const coding of available) {
    const q = accepted.q.get(coding) ?? accepted.any ?? 0;
    if (q > bestQ) {
      best = coding;
      bestQ = q;
    }
  }
  return best;
}

/** What `planCompression` looks at: the request's method and Accept-Encoding, and the response's head as the backend sent it. */
export interface CompressionQuery {
  method: string;
  acceptEncoding: string | null;
  status: number;
  /** The response headers as the backend sent them (before a decoding transport's changes). */
  headers: Headers;
  /** The body's length when it is known other than by Content-Length (a body read whole). */
  bodyBytes?: number;
}

/**
 * Whether to compress a response and with what. `encoding` null: sent as it
 * is; `vary`: whether it still gets `Vary: Accept-Encoding` (it could have
 * been compressed for another client: a compressible type, whether or not
 * this one is). Compressed only when every condition holds: the client
 * accepts one of the encodings; the backend did not encode the body (no
 * Content-Encoding, or `identity`); the type is compressible (never
 * `text/event-stream`); the body is at least `minBytes` long, or of unknown
 * length (or the client refuses identity); the response is not to HEAD, not
 * 1xx/204/206/304 and has no Content-Range; and it has no
 * `Cache-Control: no-transform`.
 */
export function planCompression(rules: CompressionRules, x: CompressionQuery): { encoding: ContentCoding | null; vary: boolean } {
  const none = { encoding: null, vary: false };
  const h = x.headers;
  const coding = h.get('content-encoding');
  if (coding !== null && coding.trim().toLowerCase() !== 'identity') return none;
  if (/(?:^|,)\s*no-transform\s*(?:$|,|=)/i.test(h.get('cache-control') ?? '')) return none;
  const type = (h.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (!type || !rules.compressible(type)) return none;
  // HEAD and 304 describe what a GET would get, which could have been compressed: they vary too.
  if (x.method === 'HEAD' || x.status === 304) return { encoding: null, vary: true };
  if (x.status < 200 || x.status === 204 || x.status === 206 || h.has('content-range')) return none;
  const vary = { encoding: null, vary: true };
  if (x.acceptEncoding === null) return vary;
  const accepted = parseAcceptEncoding(x.acceptEncoding);
  const encoding = pickEncoding(accepted, rules.encodings);
  if (encoding === null) return vary;
  const length = x.bodyBytes ?? contentLength(h);
  if (length !== undefined && length < rules.minBytes && !accepted.identityRefused) return vary;
  return { encoding, vary: true };
}

function contentLength(h: Headers): number | undefined {
  const v = h.get('content-length');
  return v !== null && /^\s*\d{1,15}\s*$/.test(v) ? Number(v) : undefined;
}

/** Adds `Accept-Encoding` to Vary, once (kept as it is when it names it already, or is `*`). */
export function addVary(headers: Headers): void {
  const vary = headers.get('vary');
  if (vary === null || !vary.trim()) return headers.set('vary', 'Accept-Encoding');
  if (vary.split(',').some((t) => ['*', 'accept-encoding'].includes(t.trim().toLowerCase()))) return;
  headers.set('vary', `${vary}, Accept-Encoding`);
}

/**
 * The headers of a response compressed with `encoding`: Content-Encoding set,
 * Content-Length and Accept-Ranges dropped (they described the unencoded
 * bytes), a strong ETag made weak, `Vary: Accept-Encoding`.
 */
export function compressedHeaders(headers: Headers, encoding: ContentCoding): void {
  headers.set('content-encoding', encoding);
  headers.delete('content-length');
  headers.delete('accept-ranges');
  const etag = headers.get('etag');
  if (etag?.startsWith('"')) headers.set('etag', `W/${etag}`);
  addVary(headers);
}
