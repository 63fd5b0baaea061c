import type { BackendTls } from '../config/backend-tls.ts';
import { UpstreamError, type Backend } from '../core/types.ts';
import { classify, invalidResponse, tlsRefused, upstreamMessage } from './classify.ts';
import { headFault } from './head.ts';
import type { OutboundRequest, Transport, UpstreamResponse } from './types.ts';
import { WHOLE_BODY_LIMIT_BYTES, wholeBodyLength } from './whole-body.ts';

export interface FetchTransportOptions {
  /** The fetch to use (defaults to the global one). */
  fetch?: typeof fetch;
  /** True when this runtime's fetch always decodes gzip/br bodies. */
  decodesBodies?: boolean;
  /** Extra init merged into every call (Bun: `{ decompress: false }`). */
  init?: Record<string, unknown>;
  /**
   * With `decodesBodies`: the content codings this fetch decodes. Accept-Encoding
   * is narrowed to them, so no backend answers in one the runtime would hand on
   * still encoded (the core drops Content-Encoding for a decoding transport).
   * Default gzip and br: what Node's, Deno's and workerd's fetch all decode
   * (Deno and workerd pass deflate through; none here decodes zstd).
   */
  decodes?: readonly string[];
  /**
   * The extra init for a backend whose `tls` is set (Bun: `{ tls: { ca, serverName,
   * rejectUnauthorized } }`; Deno: a `client` trusting the CA), or `{ refused }`
   * saying why this fetch cannot apply it: the attempt then fails as `connect`
   * with that reason. Asked once per distinct setting. Absent: every backend
   * with `tls` is refused so (Workers' fetch has no TLS options).
   */
  tlsInit?: (tls: BackendTls) => Record<string, unknown> | { refused: string };
  /**
   * Bodies of declared length up to this many bytes are read inside `send` and
   * handed on as bytes (default 64 KiB, as the undici transport). Bun serves a
   * body handed as bytes past about 12 KiB more slowly than its stream.
   */
  wholeBodyLimitBytes?: number;
}

const NO_TLS_OPTIONS = { refused: "this runtime's fetch has no TLS options: tls settings cannot apply" };

const DECODED_BY_EVERY_FETCH = ['gzip', 'br'];

/**
 * A transport over web-standard `fetch`: works on every runtime. A response
 * head the backend got wrong (transport/head.ts) rejects with `protocol`.
 * A body of declared length up to 64 KiB (transport/whole-body.ts; less with
 * `wholeBodyLimitBytes`) is read
 * inside `send` and handed on as bytes, under the attempt's signal: a cut
 * there rejects `send` (`reset`), an abort cancels the read (`timeout` for a
 * TimeoutError). Any other body is the runtime's own stream, handed on as it is.
 */
export function fetchTransport(options: FetchTransportOptions = {}): Transport {
  const doFetch = options.fetch ?? fetch;
  const decodesBodies = options.decodesBodies ?? true;
  const wholeLimitBytes = options.wholeBodyLimitBytes ?? WHOLE_BODY_LIMIT_BYTES;
  const decodes = new Set((options.decodes ?? DECODED_BY_EVERY_FETCH).map((c) => c.toLowerCase()));
  // Backends of one pool share their settings' `tls` object: one init per setting.
  const tlsInits = new WeakMap<BackendTls, Record<string, unknown> | { refused: string }>();
  const tlsInitFor = (tls: BackendTls) => {
    let init = tlsInits.get(tls);
    if (!init) tlsInits.set(tls, (init = options.tlsInit?.(tls) ?? NO_TLS_OPTIONS));
    return init;
  };
  return {
    decodesBodies,
    async send(req: OutboundRequest, backend: Backend, signal: AbortSignal): Promise<UpstreamResponse> {
      const extra = backend.tls ? tlsInitFor(backend.tls) : undefined;
      if (extra && 'refused' in extra && typeof extra.refused === 'string') throw tlsRefused(backend.id, extra.refused);
      let res: Response;
      try {
        res = await doFetch(backend.url + req.path, {
          method: req.method,
          headers: decodesBodies ? onlyDecoded(req.headers, decodes) : req.headers,
          body: req.body,
          redirect: 'manual',
          signal,
          // Streams as request bodies need half duplex on Node and Deno.
          ...(req.body ? { duplex: 'half' } : {}),
          ...options.init,
          ...extra,
        } as RequestInit);
      } catch (error) {
        throw classify(error, signal, backend.id);
      }
      const fault = headFault(res.status, res.statusText, res.headers);
      if (fault) {
        res.body?.cancel().catch(() => {});
        throw invalidResponse(backend.id, fault);
      }
      const length = wholeBodyLength(req.method, res.status, res.headers.get('content-length'), res.headers.get('content-encoding'), decodesBodies, wholeLimitBytes);
      if (length < 0 || !res.body) return { status: res.status, statusText: res.statusText, headers: res.headers, body: res.body };
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await res.arrayBuffer());
      } catch (error) {
        throw classify(error, signal, backend.id);
      }
      if (bytes.byteLength !== length) throw new UpstreamError('reset', upstreamMessage('reset', backend.id, `${bytes.byteLength} of the ${length} bytes its Content-Length declared`));
      return { status: res.status, statusText: res.statusText, headers: res.headers, body: bytes };
    },
  };
}

/**
 * The request headers with Accept-Encoding cut down to `decodes` (and
 * `identity`); `*` is dropped, as it would let the server pick any coding.
 * The same object when nothing changes.
 */
export function onlyDecoded(headers: Headers, decodes: ReadonlySet<string>): Headers {
  const accept = headers.get('accept-encoding');
  if (accept === null) return headers;
  const kept: string[] = [];
  for (const part of accept.split(',')) {
    const item = part.trim();
    const coding = item.split(';')[0].trim().toLowerCase();
    if (coding === 'identity' || decodes.has(coding)) kept.push(item);
  }
  const value = kept.join(', ') || 'identity';
  if (value === accept) return headers;
  const out = new Headers(headers);
  out.set('accept-encoding', value);
  return out;
}
