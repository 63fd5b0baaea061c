import type { Backend } from '../core/types.ts';

/** One attempt's request, already rewritten for the backend. */
export interface OutboundRequest {
  method: string;
  /** Path and query to request on the backend (starts with `/`). */
  path: string;
  headers: Headers;
  body: BodyInit | null;
}

/** A backend's answer as plain data: the head, and the body as bytes already read, a stream, or none. */
export interface UpstreamResponse {
  status: number;
  statusText: string;
  headers: Headers;
  body: Uint8Array | ReadableStream<Uint8Array> | null;
}

/**
 * How bytes reach a backend. `send` resolves with the backend's response as
 * soon as its headers arrive (a large body streams), follows no redirect, and
 * makes exactly one attempt. It rejects only with `UpstreamError` (`connect`,
 * `timeout` when `signal` aborts with a TimeoutError, `reset`, `protocol`),
 * and with `protocol` for a head the backend got wrong (transport/head.ts: a
 * status outside 200-599, over 64 KiB or 100 fields, a body framed by both
 * Content-Length and Transfer-Encoding), so what it resolves with is a head a
 * web Response can carry to the client.
 *
 * A backend's `tls` (an `https://` one's CA file, server name, no verification)
 * is honoured or refused: a setting the transport cannot apply fails the
 * attempt as `connect`, saying so; it is never silently ignored. A certificate
 * that fails the check is `connect` too (the request never left), its message
 * saying `certificate not trusted` or `certificate name does not match`.
 */
export interface Transport {
  send(request: OutboundRequest, backend: Backend, signal: AbortSignal): Promise<UpstreamResponse>;
  /** True when response bodies arrive already decoded (content-encoding removed). */
  readonly decodesBodies: boolean;
  /** Releases pooled connections. */
  close?(): Promise<void>;
}

/** CA certificates (PEM) by the file path the config names them with (`tls.ca_file`), read by the runtime at start. */
export type CaBundles = ReadonlyMap<string, string>;

/** Discards a response body that will not be read (a stream is cancelled). */
export function discardBody(body: UpstreamResponse['body']): void {
  if (body instanceof ReadableStream) body.cancel().catch(() => {});
}
