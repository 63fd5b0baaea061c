import { Agent } from 'undici';
import { backendTlsKey, type BackendTls } from '../config/backend-tls.ts';
import type { Backend } from '../core/types.ts';
import { classify, invalidResponse, tlsRefused } from './classify.ts';
import { HEAD_LIMIT_BYTES, headFault, kib } from './head.ts';
import type { CaBundles, OutboundRequest, Transport, UpstreamResponse } from './types.ts';
import { WHOLE_BODY_LIMIT_BYTES } from './whole-body.ts';

/**
 * Node's fast path: a keep-alive undici pool per backend. Bodies pass through
 * untouched (no decoding), so gzip/br responses reach the client byte for byte.
 * A response head the backend got wrong (transport/head.ts) rejects with `protocol`.
 * An `https://` backend with `tls` gets a pool of its own per distinct setting:
 * `ca_file`'s CAs (from `cas`) replace Node's default ones, `server_name` is
 * the SNI and the name checked, `insecure_skip_verify` checks nothing.
 */
export function undiciTransport(options: { keepAliveTimeoutMs?: number; cas?: CaBundles } = {}): Transport {
  const settings = {
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
    headersTimeout: 0, // the balancer's per-attempt signal owns time-to-headers
    bodyTimeout: 300_000,
    maxHeaderSize: HEAD_LIMIT_BYTES,
  };
  const agent = new Agent(settings);
  const tlsAgents = new Map<string, Agent>();
  /** The pool for a backend's `tls`, made on first use; a CA file not read at start is the attempt's error. */
  const agentFor = (backend: Backend, tls: BackendTls): Agent => {
    const key = backendTlsKey(tls);
    let a = tlsAgents.get(key);
    if (a) return a;
    const ca = tls.caFile === undefined ? undefined : options.cas?.get(tls.caFile);
    if (tls.caFile !== undefined && ca === undefined && !tls.insecureSkipVerify) throw tlsRefused(backend.id, `tls.ca_file ${JSON.stringify(tls.caFile)} was not read at start`);
    const connect = { ...(ca !== undefined ? { ca } : {}), ...(tls.serverName ? { servername: tls.serverName } : {}), rejectUnauthorized: !tls.insecureSkipVerify };
    tlsAgents.set(key, (a = new Agent({ ...settings, connect })));
    return a;
  };
  return {
    decodesBodies: false,
    async send(req: OutboundRequest, backend: Backend, signal: AbortSignal): Promise<UpstreamResponse> {
      const pool = backend.tls ? agentFor(backend, backend.tls) : agent;
      const base = new URL(backend.url);
      const headers: string[] = [];
      req.headers.forEach((value, name) => {
        if (name !== 'set-cookie') headers.push(name, value);
      });
      try {
        const res = await pool.request({
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
        if (length <= WHOLE_BODY_LIMIT_BYTES) return { ...head, body: new Uint8Array(await res.body.arrayBuffer()) };
        // ReadableStream.from (not Readable.toWeb): the latter crashed Node 20 on client aborts mid-body.
        const body = (ReadableStream as unknown as { from(it: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> }).from(res.body);
        return { ...head, body };
      } catch (error) {
        if ((error as { code?: unknown } | null)?.code === 'UND_ERR_HEADERS_OVERFLOW') throw invalidResponse(backend.id, `response headers over the ${kib(HEAD_LIMIT_BYTES)} limit`);
        throw classify(error, signal, backend.id);
      }
    },
    close: async () => {
      await Promise.all([agent, ...tlsAgents.values()].map((a) => a.close()));
    },
  };
}
