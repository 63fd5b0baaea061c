import { cookieValue } from '../core/cookies.ts';
import type { Digest, HashFunctionName, PickContext } from './types.ts';

const encoder = new TextEncoder();

/**
 * Folds `step` over the UTF-8 bytes of `s` from `h`. ASCII (the common case:
 * paths, addresses) is read in place; from the first other character on, the
 * rest is encoded (the ASCII prefix is already its own UTF-8).
 */
function foldUtf8(s: string, h: number, step: (h: number, byte: number) => number): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) {
      for (const b of encoder.encode(s.slice(i))) h = step(h, b);
      return h;
    }
    h = step(h, c);
  }
  return h;
}

const fnvStep = (h: number, b: number) => Math.imul(h ^ b, 0x01000193);
const djb2Step = (h: number, b: number) => (Math.imul(h, 33) + b) >>> 0;

/** 32-bit FNV-1a over the UTF-8 bytes of `s`. */
export function fnv1a(s: string): number {
  return foldUtf8(s, 0x811c9dc5, fnvStep) >>> 0;
}

/** Bernstein's djb2 (h × 33 + c) over the UTF-8 bytes, as uint32. */
export function djb2(s: string): number {
  return foldUtf8(s, 5381, djb2Step) >>> 0;
}

function firstWord(digest: Uint8Array): number {
  return ((digest[0] << 24) | (digest[1] << 16) | (digest[2] << 8) | digest[3]) >>> 0;
}

/**
 * The hash function of seed 004 named `name`, as `string → uint32` (MD5 and
 * SHA-1: the first 32 bits of the digest, which `digest` must supply).
 */
export function hashFunction(name: HashFunctionName, digest?: Digest): (s: string) => number {
  if (name === 'fnv1a') return fnv1a;
  if (name === 'djb2') return djb2;
  if (!digest) throw new Error(`hash function ${name} needs a digest from the runtime entry`);
  return (s) => firstWord(digest(name, s));
}

/** A well-mixed uint32 from a uint32 (murmur3's finaliser): spreads sequential inputs. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * The hashing key of a request: `path` (default), `uri` (path and query), `ip`,
 * `header:NAME`, `cookie:NAME`, `query:NAME`. A named header, cookie or query
 * parameter that is absent falls back to the client IP.
 */
export function requestKey(ctx: PickContext, key: string): string {
  if (key === 'path') return ctx.url.pathname;
  if (key === 'uri') return ctx.url.pathname + ctx.url.search;
  if (key === 'ip') return ctx.clientIp;
  const i = key.indexOf(':');
  const kind = key.slice(0, i);
  const name = key.slice(i + 1);
  let value: string | null | undefined;
  if (kind === 'header') value = ctx.request.headers.get(name);
  else if (kind === 'cookie') value = cookieValue(ctx.request.headers.get('cookie'), name);
  else if (kind === 'query') value = ctx.url.searchParams.get(name);
  return value ?? ctx.clientIp;
}
