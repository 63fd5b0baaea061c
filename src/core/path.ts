/**
 * The request path as the balancer routes and forwards it: one normalised
 * form, so the admin API, the route table and every backend see the same path.
 */

/** A path to route and forward, or why the request is refused (400). */
export type NormalizedPath = { ok: true; path: string } | { ok: false; reason: string };

// Anything that can make two spellings of one path: `//`, `/.` (dot segments), an encoded dot,
// a backslash, a control character. A path without any is already normal.
const SUSPECT = /\/\/|\/\.|%2e|\\|[\x00-\x1f\x7f]/i;
const DOT = /^(?:\.|%2e)$/i;
const DOT_DOT = /^(?:\.|%2e){2}$/i;

/**
 * Normalises a request path (no query) as nginx does before it matches a
 * location: repeated slashes merged (`merge_slashes on`), then `.` and `..`
 * segments resolved (RFC 3986 §5.2.4), an encoded dot (`%2e`, any case)
 * counting as a dot, as URL parsers read it. A trailing slash stays.
 * `%2F` is not decoded: `a%2F..` is one segment, not a dot segment.
 *
 * Refused (`ok: false`): a `..` that climbs above the root (nginx answers
 * 400); a backslash or a control character, which URL parsers turn into `/`
 * or drop, so the path would change again after this function. A path that
 * does not start with `/` (`*`) is returned as it is.
 */
export function normalizePath(path: string): NormalizedPath {
  if (!path.startsWith('/') || !SUSPECT.test(path)) return { ok: true, path };
  if (path.includes('\\')) return { ok: false, reason: 'the path holds a backslash' };
  if (/[\x00-\x1f\x7f]/.test(path)) return { ok: false, reason: 'the path holds a control character' };
  const segments = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i];
    if (s === '' || DOT.test(s)) continue;
    if (DOT_DOT.test(s)) {
      if (out.length === 0) return { ok: false, reason: 'a ".." segment climbs above the root' };
      out.pop();
    } else out.push(s);
  }
  // The path ends in a slash when its last segment is empty or a dot segment.
  const tail = segments[segments.length - 1];
  const trailing = tail === '' || DOT.test(tail) || DOT_DOT.test(tail);
  return { ok: true, path: `/${out.join('/')}${trailing && out.length ? '/' : ''}` };
}

/**
 * Where the path of a request URL starts and ends (before `?` or `#`), read
 * from the string as it came, as Hono reads it to route.
 */
export function pathSpan(url: string): { start: number; end: number } {
  const start = url.indexOf('/', url.indexOf(':') + 3);
  if (start < 0) return { start: url.length, end: url.length };
  let end = start;
  while (end < url.length && url.charCodeAt(end) !== 63 && url.charCodeAt(end) !== 35) end++;
  return { start, end };
}

/** A request URL with its path normalised (`normalizePath`), or why it is refused and the path as sent. */
export type NormalizedUrl = { ok: true; url: string } | { ok: false; reason: string; path: string };

/** `url` with its path normalised: the same string when it already was. */
export function normalizeUrl(url: string): NormalizedUrl {
  const { start, end } = pathSpan(url);
  const path = url.slice(start, end);
  const n = normalizePath(path);
  if (!n.ok) return { ok: false, reason: n.reason, path };
  return { ok: true, url: n.path === path ? url : url.slice(0, start) + n.path + url.slice(end) };
}

/** `request` at another URL, with the same method, headers, body and abort signal. */
export function requestAt(request: Request, url: string): Request {
  const body = request.body;
  return new Request(url, {
    method: request.method,
    headers: request.headers,
    body,
    signal: request.signal,
    redirect: 'manual',
    // A stream as a request body needs half duplex on Node and Deno.
    ...(body ? { duplex: 'half' } : {}),
  } as RequestInit);
}
