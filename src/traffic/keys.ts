/**
 * What a limit counts a request by (`key`): the client's address, a request
 * header's or a cookie's value, or one count for the whole scope.
 */
import type { RequestInfo } from '../core/types.ts';
import type { LimitKey } from './config.ts';

/** Values longer than this are kept as their start and a hash, so a store's keys stay small whatever clients send. */
export const MAX_KEY_CHARS = 200;

/** FNV-1a over the string's UTF-16 units, 32 bits from `seed`. */
function fnv1a(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** `text`, or for a long one its first characters, its length and a 64-bit hash of all of it. */
export function boundedKey(text: string): string {
  if (text.length <= MAX_KEY_CHARS) return text;
  const hash = fnv1a(text, 0x811c9dc5).toString(16).padStart(8, '0') + fnv1a(text, 0x01000193).toString(16).padStart(8, '0');
  return `${text.slice(0, 64)}~${text.length}~${hash}`;
}

/** The value of cookie `name` in a `Cookie` header, or undefined. */
export function cookieValue(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The key value a request counts under. A request without the header or
 * cookie counts under the empty value: all such requests share one count
 * (as Traefik groups them), so leaving the header out never escapes a limit.
 */
export function limitKeyOf(key: LimitKey, request: Request, info: RequestInfo): string {
  switch (key.by) {
    case 'ip':
      return info.clientIp;
    case 'header':
      return boundedKey(request.headers.get(key.name) ?? '');
    case 'cookie':
      return boundedKey(cookieValue(request.headers.get('cookie'), key.name) ?? '');
    case 'route':
      return '';
  }
}

/** The rate as the config spells it: `10/s`, `1000/m`, `5/10s`, `100/250ms`. */
export function rateText(limit: number, periodMs: number): string {
  for (const [unit, ms] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (periodMs % ms === 0) return `${limit}/${periodMs === ms ? '' : periodMs / ms}${unit}`;
  }
  return `${limit}/${periodMs}ms`;
}
