import type { Backend } from '../core/types.ts';
import { classify } from './classify.ts';
import type { OutboundRequest, Transport, UpstreamResponse } from './types.ts';

export interface FetchTransportOptions {
  /** The fetch to use (defaults to the global one). */
  fetch?: typeof fetch;
  /** True when this runtime's fetch always decodes gzip/br bodies. */
  decodesBodies?: boolean;
  /** Extra init merged into every call (Bun: `{ decompress: false }`). */
  init?: Record<string, unknown>;
}

/** A transport over web-standard `fetch`: works on every runtime. */
export function fetchTransport(options: FetchTransportOptions = {}): Transport {
  const doFetch = options.fetch ?? fetch;
  return {
    decodesBodies: options.decodesBodies ?? true,
    async send(req: OutboundRequest, backend: Backend, signal: AbortSignal): Promise<UpstreamResponse> {
      let res: Response;
      try {
        res = await doFetch(backend.url + req.path, {
          method: req.method,
          headers: req.headers,
          body: req.body,
          redirect: 'manual',
          signal,
          // Streams as request bodies need half duplex on Node and Deno.
          ...(req.body ? { duplex: 'half' } : {}),
          ...options.init,
        } as RequestInit);
      } catch (error) {
        throw classify(error, signal.aborted && isTimeout(signal.reason), backend.id);
      }
      return { status: res.status, statusText: res.statusText, headers: res.headers, body: res.body };
    },
  };
}

export function isTimeout(reason: unknown): boolean {
  return (reason as { name?: string } | undefined)?.name === 'TimeoutError';
}
