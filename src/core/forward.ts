/**
 * Header hygiene between client and backend (RFC 9110 §7.6.1 and the
 * de-facto X-Forwarded-* headers). Pure functions over `Headers`.
 */

/** Hop-by-hop headers that never cross a proxy, in either direction. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/** Removes hop-by-hop headers, including every header named in `Connection`. */
export function stripHopByHop(headers: Headers): Headers {
  const named = headers.get('connection');
  if (named) {
    for (const token of named.split(',')) {
      const name = token.trim().toLowerCase();
      if (name) headers.delete(name);
    }
  }
  for (const name of HOP_BY_HOP) headers.delete(name);
  return headers;
}

export interface ForwardInfo {
  clientIp: string;
  /** `http` or `https`, as the client spoke to the balancer. */
  proto: string;
  /** The Host the client asked for. */
  host: string;
}

/**
 * The headers to send upstream: the client's, minus hop-by-hop and `Expect`, with
 * `X-Forwarded-For` (client IP appended to any incoming chain),
 * `X-Forwarded-Proto` and `X-Forwarded-Host` set. `Host` is left for the
 * transport to set from the backend URL.
 */
export function upstreamHeaders(incoming: Headers, info: ForwardInfo): Headers {
  const headers = stripHopByHop(new Headers(incoming));
  headers.delete('host');
  // The client's server (Node, Bun, Deno, workerd) answers `Expect: 100-continue` itself; sent on,
  // the backend's own 100 reaches a client library that did not ask for one (undici fails on it).
  headers.delete('expect');
  const prior = incoming.get('x-forwarded-for');
  headers.set('x-forwarded-for', prior ? `${prior}, ${info.clientIp}` : info.clientIp);
  headers.set('x-forwarded-proto', info.proto);
  if (info.host) headers.set('x-forwarded-host', info.host);
  return headers;
}

/**
 * The headers to return to the client: the backend's minus hop-by-hop.
 * When the transport already decoded the body (`decoded`), the encoding and
 * length headers no longer describe it and are dropped.
 */
export function downstreamHeaders(upstream: Headers, decoded: boolean): Headers {
  const headers = stripHopByHop(new Headers(upstream));
  if (decoded && headers.has('content-encoding')) {
    headers.delete('content-encoding');
    headers.delete('content-length');
  }
  return headers;
}

/** True when a response to this method/status must not carry a body. */
export function isBodyless(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
}

/** Strips IPv4-mapped IPv6 (`::ffff:127.0.0.1` → `127.0.0.1`). */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(ip: string): boolean {
  const v = normalizeIp(ip);
  if (v === '::1') return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255);
}
