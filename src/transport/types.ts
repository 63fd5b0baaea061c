import type { Backend } from '../core/types.ts';

/** One attempt's request, already rewritten for the backend. */
export interface OutboundRequest {
  method: string;
  /** Path and query to request on the backend (starts with `/`). */
  path: string;
  headers: Headers;
  body: BodyInit | null;
}

/**
 * How bytes reach a backend. `send` resolves with the backend's response as
 * soon as its headers arrive (the body streams), follows no redirect, and makes
 * exactly one attempt. It rejects only with `UpstreamError` (`connect`,
 * `timeout` when `signal` aborts with a TimeoutError, `reset`, `protocol`).
 */
export interface Transport {
  send(request: OutboundRequest, backend: Backend, signal: AbortSignal): Promise<Response>;
  /** True when response bodies arrive already decoded (content-encoding removed). */
  readonly decodesBodies: boolean;
  /** Releases pooled connections. */
  close?(): Promise<void>;
}

/**
 * Set by a transport on a Response whose (small) body it already read: the
 * bytes and the reason phrase, so the proxy answers without stream plumbing and
 * without touching members that make a lightweight Response build a full one.
 * Absent: the body streams.
 */
export const BUFFERED_BODY: unique symbol = Symbol('switchyard.bufferedBody');

export interface BufferedBody {
  bytes: Uint8Array;
  statusText: string;
}

export type MaybeBuffered = Response & { [BUFFERED_BODY]?: BufferedBody };
