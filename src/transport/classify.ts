import { UpstreamError, type UpstreamErrorKind } from '../core/types.ts';

// Shapes each runtime really throws are in classify.fixtures.ts. CONNECT may list
// only what proves the request never left: connect errors are retried for any
// method, POST included. workerd's "Network connection lost." is not among them:
// it says the same for a refused connection and for one lost after the request
// was sent, so it is a reset. (Nor is Deno's "connection closed before message
// completed": its request was already sent.)
const CONNECT = /ECONNREFUSED|ConnectionRefused|connection refused|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_CONNECT|FailedToOpenSocket|tcp connect error|dns error|EADDRNOTAVAIL/i;
const RESET = /ECONNRESET|EPIPE|socket hang up|UND_ERR_SOCKET|other side closed|ConnectionReset|connection reset|connection lost|error reading a body|closed|terminated|broken pipe/i;
const TIMEOUT = /TimeoutError|timed out|UND_ERR_HEADERS_TIMEOUT|ETIMEDOUT/i;

/**
 * A response the runtime's client refused to read: the backend's fault, not
 * the connection's (so `protocol`, checked before RESET: undici reports some
 * as socket errors), each with what the backend sent in words. Every other
 * failure to parse is `protocol` too, in the runtime's words.
 */
const REFUSED: ReadonlyArray<readonly [RegExp, string]> = [
  [/Content-Length can't be present with Transfer-Encoding/i, 'both Content-Length and Transfer-Encoding, so its body has two lengths'],
  [/message head is too large/i, `a response head too large to read (more than 100 header fields, or too many bytes)`],
  [/UND_ERR_HEADERS_OVERFLOW|Headers Overflow/i, 'response headers over the limit'],
  [/Duplicate Content-Length|invalid content-length|InvalidContentLength/i, 'an invalid Content-Length'],
  // undici, for a small body framed both ways: it reads it chunked, then finds the length wrong.
  [/UND_ERR_RES_CONTENT_LENGTH_MISMATCH|does not match content-length/i, 'a body whose length does not match its Content-Length'],
  [/bad upgrade|UnrequestedUpgrade/i, '101 Switching Protocols to a request that asked for no upgrade'],
  [/invalid HTTP status-code/i, 'an invalid status code'],
  [/bad response/i, 'a response no request was waiting for (or a 100 Continue nobody asked for)'],
];

/**
 * A TLS handshake the client gave up: the request never left, so `connect`
 * (retried elsewhere, any method), with what was wrong in words. Checked
 * before CONNECT and RESET (Deno's say `client error (Connect)`).
 */
const TLS: ReadonlyArray<readonly [RegExp, string]> = [
  [/ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate|certificate not valid for name|NotValidForName/i, 'certificate name does not match'],
  [
    /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|CERT_UNTRUSTED|CERT_REVOKED|CERT_SIGNATURE_FAILURE|CERT_CHAIN_TOO_LONG|INVALID_CA|invalid peer certificate/i,
    'certificate not trusted',
  ],
  // Only failures of the handshake itself (a plain HTTP server on an https:// URL): a TLS error later may come after the request left.
  [/ERR_SSL_WRONG_VERSION_NUMBER|ERR_SSL_PACKET_LENGTH_TOO_LONG|EPROTO: The TLS handshake failed|client error \(Connect\): (received corrupt message|received fatal alert|peer is incompatible)/i, 'TLS handshake failed'],
];

/**
 * The runtime's words for a TLS failure, without the wrapping: Deno's
 * `error sending request for url (…): client error (Connect): `, Bun's
 * ` fetching "…". For more…`, OpenSSL's `…:error:0A00010B:SSL routines:…`
 * (its `reason` instead). A bare code gets its message too, when one says more.
 */
function tlsWords(error: unknown): string {
  let e: unknown = error;
  // The innermost error says what happened (Deno's "fetch failed" wraps it).
  for (let depth = 0; depth < 5 && (e as { cause?: unknown } | null)?.cause && typeof (e as { cause?: unknown }).cause === 'object'; depth++) e = (e as { cause: unknown }).cause;
  const o = (e ?? {}) as { message?: unknown; code?: unknown; reason?: unknown };
  let words = typeof o.message === 'string' ? o.message : String(e);
  if (/:error:[0-9A-F]+:/.test(words) && typeof o.reason === 'string') words = o.reason;
  words = words.replace(/^.*client error \(Connect\):\s*/s, '').replace(/ fetching ".*$/s, '').trim();
  const code = typeof o.code === 'string' ? o.code : '';
  return code && !words.includes(code) ? `${words}, ${code}` : words;
}

/** The error of an attempt at an `https://` backend whose `tls` this transport cannot apply (`why`). */
export function tlsRefused(where: string, why: string): UpstreamError {
  return new UpstreamError('connect', `connect: could not connect to ${where}: ${why}`);
}

/** Every message, name and code along an error's `cause` chain, for matching. */
function describe(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e && depth < 5; depth++) {
    if (typeof e === 'object') {
      const o = e as { name?: string; message?: string; code?: string; cause?: unknown };
      parts.push(String(o.name ?? ''), String(o.message ?? ''), String(o.code ?? ''));
      e = o.cause;
    } else {
      parts.push(String(e));
      break;
    }
  }
  return parts.join(' ');
}

/**
 * Words for the message: a string code (`ECONNREFUSED`) of the cause or the
 * error, else the cause's message (Deno's is the useful one, under "fetch
 * failed"), the error's message, its name. Never a numeric code: a
 * DOMException's `code` (23 for TimeoutError) tells a reader nothing.
 */
function detail(error: unknown): string {
  if (!error || typeof error !== 'object') return String(error);
  const e = error as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown };
  const cause = (e.cause && typeof e.cause === 'object' ? e.cause : {}) as { message?: unknown; code?: unknown };
  for (const v of [cause.code, e.code]) if (typeof v === 'string' && CODE.test(v)) return v;
  for (const v of [cause.message, e.message, e.name]) if (typeof v === 'string' && v !== '') return v;
  return String(error);
}

/** Codes that say more than the message: errno names (`ECONNREFUSED`) and Bun's words (`ConnectionRefused`); not `UND_ERR_…` or `HPE_…`. */
const CODE = /^(E[A-Z0-9_]+|[A-Z][a-z]+[A-Za-z]*)$/;

/** A duration as a message says it: `250 ms`, `2 s`, `1.5 s`. */
export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Math.round(ms) / 1000} s`;
}

/** What happened, by kind, as the sentence after `KIND: ` (`where` names the backend). */
const SAYS: Record<UpstreamErrorKind, (where: string) => string> = {
  connect: (where) => `could not connect to ${where}`,
  reset: (where) => `${where} closed the connection before a complete response`,
  timeout: (where) => `no response headers from ${where} in time`,
  protocol: (where) => `${where} sent an invalid response`,
};

/**
 * The message of an upstream error: `KIND: what happened, naming the backend
 * (the runtime's words)`, e.g. `connect: could not connect to 10.0.0.1:80 (ECONNREFUSED)`.
 */
export function upstreamMessage(kind: UpstreamErrorKind, where: string, words?: string): string {
  return `${kind}: ${SAYS[kind](where)}${words ? ` (${words})` : ''}`;
}

/** The error of an attempt whose own time limit of `ms` ran out before the response headers came. */
export function attemptTimedOut(where: string, ms: number, cause?: unknown): UpstreamError {
  return new UpstreamError('timeout', `timeout: no response headers from ${where} within ${duration(ms)}`, { cause });
}

/** The error for a response the backend got wrong: `what` says what it sent (`status 999, outside 200-599`). */
export function invalidResponse(where: string, what: string): UpstreamError {
  return new UpstreamError('protocol', `protocol: ${where} sent ${what}`);
}

/** True for the reason of a signal aborted by a timeout (a TimeoutError). */
export function isTimeout(reason: unknown): boolean {
  return (reason as { name?: string } | undefined)?.name === 'TimeoutError';
}

/**
 * Maps any runtime's fetch/socket error to an `UpstreamError`. An attempt
 * whose `signal` was aborted by a timeout is a timeout whatever the runtime
 * reported. Another abort is no fault of the backend's, and says so.
 */
export function classify(error: unknown, signal: AbortSignal | undefined, where: string): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const text = describe(error);
  const timedOut = signal?.aborted === true && isTimeout(signal.reason);
  let kind: UpstreamErrorKind = 'protocol';
  const refused = REFUSED.find(([re]) => re.test(text));
  const tls = TLS.find(([re]) => re.test(text));
  if (timedOut || TIMEOUT.test(text)) kind = 'timeout';
  else if (refused) return new UpstreamError('protocol', `protocol: ${where} sent ${refused[1]} (${detail(error)})`, { cause: error });
  else if (tls && !signal?.aborted) return new UpstreamError('connect', `connect: could not connect to ${where}: ${tls[1]} (${tlsWords(error)})`, { cause: error });
  else if (CONNECT.test(text)) kind = 'connect';
  else if (RESET.test(text)) kind = 'reset';
  const aborted = kind !== 'timeout' && (signal?.aborted === true || (error as { name?: unknown } | null)?.name === 'AbortError');
  const message = aborted ? `${kind}: the request to ${where} was cancelled (${detail(error)})` : upstreamMessage(kind, where, detail(error));
  return new UpstreamError(kind, message, { cause: error });
}
