/**
 * What a proxy refuses in a backend's response head, checked by every
 * transport before a response is handed on: a client never gets a status the
 * web's Response cannot carry, a head it could be harmed by, or a body framed
 * two ways.
 */

/**
 * Most bytes in a response head (status line and header fields): 64 KiB. A
 * proxy buffers the head whole; nginx bounds it with `proxy_buffer_size`,
 * HAProxy with `tune.bufsize`, and both answer 502 above it. undici is given
 * the same limit (`maxHeaderSize`).
 */
export const HEAD_LIMIT_BYTES = 64 * 1024;

/**
 * Most header fields in a response head: 100, what Deno's fetch (hyper)
 * takes at most (HAProxy's `tune.http.maxhdr` is 101), so the limit is the
 * same on every runtime. Where the runtime has already joined repeated
 * fields, each name counts once (each Set-Cookie counts).
 */
export const HEADER_FIELDS_LIMIT = 100;

/** `65536` → `64 KiB`, `1049000` → `1024.4 KiB`. */
export function kib(bytes: number): string {
  return `${Math.round((bytes / 1024) * 10) / 10} KiB`;
}

/**
 * What is wrong with a response head, as the words after "sent" (`status
 * 999, outside 200-599`), or `undefined` when nothing is. `fields` are the
 * header fields as the runtime gives them (names in any case).
 */
export function headFault(status: number, statusText: string, fields: Iterable<readonly [string, string]>): string | undefined {
  if (!Number.isInteger(status) || status < 200 || status > 599) return `status ${status}, outside 200-599`;
  let count = 0;
  let bytes = `HTTP/1.1 ${status} ${statusText}\r\n\r\n`.length;
  let length = false;
  let chunked = false;
  for (const [name, value] of fields) {
    count++;
    bytes += name.length + value.length + 4; // "name: value\r\n"
    const lower = name.length === 14 || name.length === 17 ? name.toLowerCase() : '';
    if (lower === 'content-length') length = true;
    else if (lower === 'transfer-encoding') chunked = true;
  }
  if (bytes > HEAD_LIMIT_BYTES) return `a response head of ${bytes} bytes, over the ${kib(HEAD_LIMIT_BYTES)} limit`;
  if (count > HEADER_FIELDS_LIMIT) return `${count} response header fields, over the limit of ${HEADER_FIELDS_LIMIT}`;
  if (length && chunked) return 'both Content-Length and Transfer-Encoding, so its body has two lengths';
  return undefined;
}
