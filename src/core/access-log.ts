import { DEFAULT_SERVICE } from '../config/service-name.ts';
import type { RequestDone } from './respond.ts';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** `[22/Nov/2026:16:42:05 +0000]`, Apache's time format (UTC). */
function clf(ms: number): string {
  const d = new Date(ms);
  return `[${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000]`;
}

const quote = (s: string | null) => (s === null ? '"-"' : `"${s.replace(/["\\]/g, '\\$&')}"`);

/**
 * One access-log line: `json` (time, client, method, path, status, service
 * when not the default one, server, attempts, duration_ms, bytes) or Apache `combined`.
 */
export function accessLine(e: RequestDone, format: 'json' | 'combined'): string {
  const url = new URL(e.request.url);
  if (format === 'combined') {
    const h = e.request.headers;
    return `${e.clientIp || '-'} - - ${clf(e.startedAt)} "${e.request.method} ${url.pathname}${url.search} HTTP/1.1" ${e.status} ${e.bytes || '-'} ${quote(h.get('referer'))} ${quote(h.get('user-agent'))}`;
  }
  return JSON.stringify({
    time: new Date(e.startedAt).toISOString(),
    client: e.clientIp,
    method: e.request.method,
    path: url.pathname + url.search,
    status: e.status,
    ...(e.service !== DEFAULT_SERVICE ? { service: e.service } : {}),
    server: e.server,
    attempts: e.attempts,
    duration_ms: Math.round(e.durationMs * 10) / 10,
    bytes: e.bytes,
  });
}
