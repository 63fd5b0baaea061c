/**
 * Which response bodies a transport reads whole inside `send` and hands on as
 * bytes (as nginx buffers small responses): the core then serves them without
 * a stream of its own, and the request leaves flight as soon as `send` resolves.
 */

/** Bodies with a declared length up to this many bytes are read whole (unless a transport is given less). */
export const WHOLE_BODY_LIMIT_BYTES = 64 * 1024;

/**
 * The byte count a response's body is to be read whole at, or -1 to stream it:
 * -1 when the response has no body (HEAD, 204, 304), when its Content-Length
 * is absent, not one plain decimal, or over `limitBytes`, and, for
 * a transport that decodes bodies (`decoded`), when it has a Content-Encoding
 * (the decoded bytes are not the length declared, and may be far more).
 */
export function wholeBodyLength(method: string, status: number, contentLength: string | null, contentEncoding: string | null, decoded: boolean, limitBytes = WHOLE_BODY_LIMIT_BYTES): number {
  if (method === 'HEAD' || status === 204 || status === 304 || contentLength === null) return -1;
  if (decoded && contentEncoding !== null && contentEncoding.trim().toLowerCase() !== 'identity') return -1;
  if (!/^\d{1,6}$/.test(contentLength)) return -1;
  const length = Number(contentLength);
  return length <= limitBytes ? length : -1;
}

/**
 * Bun's limit (its entry gives it to the fetch transport): `Bun.serve` sends a
 * body handed to it as bytes more slowly than the same body streamed once the
 * body is past about 12 KiB (measured there: 40 µs of CPU a request at 8 KiB,
 * 180 µs at 15 KiB, against 75 µs streamed), so it reads whole only below that.
 */
export const BUN_WHOLE_BODY_LIMIT_BYTES = 8 * 1024;
