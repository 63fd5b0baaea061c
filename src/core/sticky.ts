import type { StickyConfig } from '../config/types.ts';
import { cookieValue } from './cookies.ts';
import type { Pool } from './pool.ts';
import type { Backend, Hmac } from './types.ts';

/** What a client's sticky cookie says: the server's token, the session id, when it was issued (epoch s). */
export interface StickyValue {
  token: string;
  sid: string;
  issuedAt: number;
}

/** Characters of a server token: 96 bits of HMAC-SHA-256, base64url. */
const TOKEN_BYTES = 12;
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    s += B64URL[n >> 18] + B64URL[(n >> 12) & 63] + B64URL[(n >> 6) & 63] + B64URL[n & 63];
  }
  return s;
}

/**
 * The opaque tokens that name servers in sticky cookies: an HMAC of the
 * server's id under a secret (as Caddy signs its cookies), so a cookie neither
 * shows a backend's address nor lets a client confirm a guess of one.
 */
export class StickyTokens {
  private readonly hmac: Hmac;
  readonly secret: string;
  private readonly byId = new Map<string, string>();
  private readonly maps = new WeakMap<Pool, ReadonlyMap<string, Backend>>();

  constructor(hmac: Hmac, secret: string) {
    this.hmac = hmac;
    this.secret = secret;
  }

  /** The token of server `id`. */
  token(id: string): string {
    let t = this.byId.get(id);
    if (t === undefined) this.byId.set(id, (t = base64url(this.hmac(this.secret, id).subarray(0, TOKEN_BYTES))));
    return t;
  }

  /**
   * The server a sticky cookie names, if `accept` allows it. A backup server
   * keeps its sessions only while no primary is accepted (as the pool would pick).
   */
  backend(pool: Pool, token: string, accept: (b: Backend) => boolean): Backend | undefined {
    let m = this.maps.get(pool);
    if (!m) this.maps.set(pool, (m = new Map(pool.backends.map((b) => [this.token(b.id), b]))));
    const b = m.get(token);
    if (!b || !accept(b)) return undefined;
    if (b.backup && pool.backends.some((x) => !x.backup && accept(x))) return undefined;
    return b;
  }
}

/** A new random secret for sticky tokens (when none is configured): 32 bytes, hex. */
export function newStickySecret(): string {
  let s = '';
  for (const x of crypto.getRandomValues(new Uint8Array(32))) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Reads the sticky cookie from a `Cookie` header; null when absent or not in this format. */
export function readSticky(cookieHeader: string | null, name: string): StickyValue | null {
  const m = /^([A-Za-z0-9_-]{16})\.([0-9a-f]{16})\.(\d{1,12})$/.exec(cookieValue(cookieHeader, name) ?? '');
  return m ? { token: m[1], sid: m[2], issuedAt: Number(m[3]) } : null;
}

/** The `Set-Cookie` value that (re)issues a session: HttpOnly, Path=/, Max-Age = ttl. */
export function stickyCookie(c: StickyConfig, v: StickyValue): string {
  return `${c.cookie}=${v.token}.${v.sid}.${v.issuedAt}; Path=/; Max-Age=${Math.round(c.ttlMs / 1000)}; HttpOnly; SameSite=${c.sameSite}${c.secure || c.sameSite === 'None' ? '; Secure' : ''}`;
}

/**
 * Whether the response must set the cookie: no valid cookie, another server
 * now serves the client, or it is past half its life (so an active session
 * does not expire: the timeout counts from the last renewal).
 */
export function mustIssue(current: StickyValue | null, token: string, nowS: number, ttlMs: number): boolean {
  return current === null || current.token !== token || nowS - current.issuedAt >= ttlMs / 2000;
}

/** A new random session id (16 hex digits). */
export function newSessionId(): string {
  const b = crypto.getRandomValues(new Uint8Array(8));
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/**
 * The sessions this instance has seen within the ttl, by server: counted for
 * `/api/stats`, not used for routing (the cookie carries the server). Bounded:
 * beyond `limit` sessions the least recently seen are forgotten.
 */
export class SessionTable {
  private readonly seen = new Map<string, { server: string; at: number }>();
  private readonly ttlMs: number;
  private readonly limit: number;
  constructor(ttlMs: number, limit = 100_000) {
    this.ttlMs = ttlMs;
    this.limit = limit;
  }

  touch(sid: string, server: string, now: number): void {
    this.seen.delete(sid);
    this.seen.set(sid, { server, at: now });
    if (this.seen.size > this.limit) this.seen.delete(this.seen.keys().next().value!);
  }

  /** Live sessions per server id (expired ones are dropped). */
  count(now: number): Map<string, number> {
    for (const [sid, s] of this.seen) {
      if (now - s.at < this.ttlMs) break; // insertion order is last-seen order
      this.seen.delete(sid);
    }
    const out = new Map<string, number>();
    for (const s of this.seen.values()) out.set(s.server, (out.get(s.server) ?? 0) + 1);
    return out;
  }
}
