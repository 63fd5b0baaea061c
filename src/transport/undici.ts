import { Agent } from 'undici';
import type { Backend } from '../core/types.ts';
import { classify, invalidResponse } from './classify.ts';
import { HEAD_LIMIT_BYTES, headFault, kib } from './head.ts';
import type { OutboundRequest, Transport, UpstreamResponse } from './types.ts';

/** Bodies up to this size with a declared length are read at once (as nginx buffers small responses). */
const BUFFER_LIMIT = 64 * 1024;

/**
 * Node's fast path: a keep-alive undici pool per backend. Bodies pass through
 * untouched (no decoding), so gzip/br responses reach the client byte for byte.
 * A response head the backend got wrong (transport/head.ts) rejects with `protocol`.
 */
export function undiciTransport(options: { keepAliveTimeoutMs?: number } = {}): Transport {
  const agent = new Agent({
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
    headersTimeout: 0, // the balancer's per-attempt signal owns time-to-headers
    bodyTimeout: 300_000,
    maxHeaderSize: HEAD_LIMIT_BYTES,
  });
  return {
    decodesBodies: false,
    async send(req: OutboundRequest, backend: Backend, signal: AbortSignal): Promise<UpstreamResponse> {
      const base = new URL(backend.url);
      const headers: string[] = [];
      req.headers.forEach((value, name) => {
        if (name !== 'set-cookie') headers.push(name, value);
      });
      try {
        const res = await agent.request({
          origin: base.origin,
          path: (base.pathname === '/' ? '' : base.pathname) + req.path,
          method: req.method as 'GET',
          headers,
          body: req.body as ReadableStream<Uint8Array> | Uint8Array | null as never,
          signal,
        });
        const out = new Headers();
        const fields: Array<[string, string]> = [];
        for (const [name, value] of Object.entries(res.headers)) {
          if (Array.isArray(value)) for (const v of value) fields.push([name, v]);
          else if (value !== undefined) fields.push([name, value]);
        }
        const fault = headFault(res.statusCode, res.statusText ?? '', fields);
        if (fault) {
          res.body.on('error', () => {}).destroy();
          throw invalidResponse(backend.id, fault);
        }
        for (const [name, value] of fields) out.append(name, value);
        const head = { status: res.statusCode, statusText: res.statusText ?? '', headers: out };
        if (res.statusCode === 204 || res.statusCode === 304 || req.method === 'HEAD') {
          res.body.dump().catch(() => {});
          return { ...head, body: null };
        }
        const length = Number(res.headers['content-length'] ?? NaN);
        if (length <= BUFFER_LIMIT) return { ...head, body: new Uint8Array(await res.body.arrayBuffer()) };
        // ReadableStream.from (not Readable.toWeb): the latter crashed Node 20 on client aborts mid-body.
        const body = (ReadableStream as unknown as { from(it: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> }).from(res.body);
        return { ...head, body };
      } catch (error) {
        if ((error as { code?: unknown } | null)?.code === 'UND_ERR_HEADERS_OVERFLOW') throw invalidResponse(backend.id, `response headers over the ${kib(HEAD_LIMIT_BYTES)} limit`);
        throw classify(error, signal, backend.id);
      }
    },
    close: () => agent.close(),
  };
}
