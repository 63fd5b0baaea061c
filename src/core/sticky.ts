import type { StickyConfig } from '../config/types.ts';
import { fnv1a } from '../policies/hash.ts';
import { cookieValue } from './cookies.ts';
import type { Pool } from './pool.ts';
import type { Backend } from './types.ts';

/** What a client's sticky cookie says: the server's token, the session id, when it was issued (epoch s). */
export interface StickyValue {
  token: string;
  sid: string;
  issuedAt: number;
}

/** The opaque token naming a server in the cookie (a hash: backend addresses stay private). */
export function serverToken(id: string): string {
  return fnv1a(id).toString(36);
}

/** Each pool's backends by token, built once per pool (a pool never changes). */
const tokenMaps = new WeakMap<Pool, ReadonlyMap<string, Backend>>();
function byToken(pool: Pool): ReadonlyMap<string, Backend> {
  let m = tokenMaps.get(pool);
  if (!m) tokenMaps.set(pool, (m = new Map(pool.backends.map((b) => [serverToken(b.id), b]))));
  return m;
}

/**
 * The server a sticky cookie names, if `accept` allows it. A backup server
 * keeps its sessions only while no primary is accepted (as the pool would pick).
 */
export function stickyBackend(pool: Pool, token: string, accept: (b: Backend) => boolean): Backend | undefined {
  const b = byToken(pool).get(token);
  if (!b || !accept(b)) return undefined;
  if (b.backup && pool.backends.some((x) => !x.backup && accept(x))) return undefined;
  return b;
}

/** Reads the sticky cookie from a `Cookie` header; null when absent or not in this format. */
export function readSticky(cookieHeader: string | null, name: string): StickyValue | null {
  const m = /^([0-9a-z]{1,8})\.([0-9a-f]{16})\.(\d{1,12})$/.exec(cookieValue(cookieHeader, name) ?? '');
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
