import type { MiddlewareHandler } from 'hono';
import { isLoopback } from '../core/forward.ts';
import { problemResponse } from '../core/problems.ts';

const encoder = new TextEncoder();

/** Compares two secrets in time independent of where they differ (and of their lengths). */
export async function safeEqual(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(a)),
    crypto.subtle.digest('SHA-256', encoder.encode(b)),
  ]);
  const u = new Uint8Array(x);
  const v = new Uint8Array(y);
  let diff = 0;
  for (let i = 0; i < u.length; i++) diff |= u[i] ^ v[i];
  return diff === 0;
}

const REALM = 'Bearer realm="switchyard"';

function denied(status: 401 | 403, detail: string, challenge?: string): Response {
  return problemResponse(
    { type: 'urn:switchyard:problem:unauthorized', title: status === 401 ? 'Unauthorized' : 'Forbidden', status, detail },
    challenge ? { 'www-authenticate': challenge } : undefined,
  );
}

/**
 * Guards writes (every method but GET, HEAD, OPTIONS). With a token set, a
 * write needs `Authorization: Bearer TOKEN`: none (or another scheme) gets 401
 * with `WWW-Authenticate: Bearer realm="switchyard"`, a wrong one 401 with
 * `error="invalid_token"` (RFC 6750 §3). With none set, only loopback clients
 * may write (403 for others), and with `tokenRequired` nobody may (403).
 */
export function requireWriteAccess(
  token: string | undefined,
  clientIp: (c: Parameters<MiddlewareHandler>[0]) => string,
  tokenRequired = false,
): MiddlewareHandler {
  return async (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next();
    if (token) {
      const given = /^Bearer +(\S.*)$/i.exec(c.req.header('authorization') ?? '')?.[1].trim() ?? '';
      if (!given) return denied(401, 'This write needs "Authorization: Bearer <token>" (admin.token / LB_ADMIN_TOKEN).', REALM);
      if (!(await safeEqual(given, token))) {
        return denied(401, 'The bearer token does not match admin.token (LB_ADMIN_TOKEN).', `${REALM}, error="invalid_token", error_description="the token does not match"`);
      }
      return next();
    }
    if (tokenRequired) {
      return denied(403, 'Writes here need an admin token, and none is set: add one with `wrangler secret put LB_ADMIN_TOKEN`.');
    }
    if (!isLoopback(clientIp(c))) {
      return denied(403, 'No admin token is set, so writes are accepted from loopback clients only. Set admin.token or LB_ADMIN_TOKEN.');
    }
    return next();
  };
}

/** A Host header's name: lower case, without its port or a final dot; an IPv6 literal keeps its brackets. */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(0, end + 1);
  }
  return h.replace(/:\d*$/, '').replace(/\.$/, '');
}

const WILDCARD = new Set(['', '0.0.0.0', '::', '[::]']);
const IP_LITERAL = /^(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:.]+\])$/;

/**
 * Whether the admin API answers a request for `host` (a Host header) when no
 * token is set, so that a page on a name the attacker points at 127.0.0.1
 * (DNS rebinding) cannot use it: `localhost`, `127.0.0.1`, `[::1]`, the listen
 * address (`listenHost`; listening on every address, any IP literal, since no
 * DNS name is involved), and the names in `allowed` (`admin.allowed_hosts`).
 */
export function isAdminHost(host: string, listenHost: string, allowed: readonly string[]): boolean {
  const name = hostName(host);
  if (name === 'localhost' || name === '127.0.0.1' || name === '[::1]') return true;
  const listen = listenHost.includes(':') && !listenHost.startsWith('[') ? `[${listenHost.toLowerCase()}]` : listenHost.toLowerCase();
  if (WILDCARD.has(listen) ? IP_LITERAL.test(name) : name === listen) return true;
  return allowed.some((a) => hostName(a) === name);
}

/**
 * Refuses, with 403 problem+json naming the host and the setting, an admin
 * request (a read too) whose Host `isAdminHost` does not accept. Meant for
 * when no token is set: a token is what a rebinding page does not have.
 */
export function refuseForeignHosts(listenHost: string, allowed: readonly string[]): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header('host') ?? new URL(c.req.url).host;
    if (isAdminHost(host, listenHost, allowed)) return next();
    const name = hostName(host);
    return problemResponse({
      type: 'urn:switchyard:problem:host-not-allowed',
      title: 'Host not allowed',
      status: 403,
      detail:
        `No admin token is set, so the admin API answers only for localhost, 127.0.0.1, [::1], the listen address and admin.allowed_hosts ` +
        `(a guard against DNS rebinding), and Host ${JSON.stringify(name)} is none of them. Add ${JSON.stringify(name)} to admin.allowed_hosts, or set admin.token (LB_ADMIN_TOKEN).`,
      host: name,
      errors: [`Host: not in admin.allowed_hosts, got ${JSON.stringify(host)}`],
    });
  };
}

/**
 * Refuses admin writes a browser sends from another site (CSRF): a write that
 * carries an `Origin` whose host is not this balancer's and which is not among
 * the CORS `allowed` origins gets 403. Requests without `Origin` (curl,
 * scripts, the CLI) are not browsers' cross-site requests and pass.
 */
export function refuseCrossSiteWrites(allowed: readonly string[]): MiddlewareHandler {
  return async (c, next) => {
    const method = c.req.method;
    const origin = c.req.header('origin');
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || origin === undefined) return next();
    if (allowed.includes('*') || allowed.includes(origin)) return next();
    let host: string | null = null;
    try {
      host = new URL(origin).host;
    } catch {}
    if (host !== null && host === (c.req.header('host') ?? new URL(c.req.url).host)) return next();
    return denied(403, `A browser write from origin ${JSON.stringify(origin)} is refused: it is not this balancer's origin and not in cors.origins.`);
  };
}
