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
