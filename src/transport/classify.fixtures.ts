/**
 * Real transport errors, one per runtime and failure, captured by running each
 * runtime's client against scripted loopback servers (node:net on 127.0.0.1) and
 * writing down what the thrown error carried: its constructor, name, message,
 * code and the other own fields, and its `cause` chain. (Not kept: stacks, and
 * undici's `socket` object on SocketError.) The classify table test rebuilds an
 * error from each shape.
 *
 * Scenarios (the request was a GET; a POST with a 5-byte body gave the same
 * shapes in every runtime, port numbers aside):
 * - refused: a loopback port nothing listens on (bound, then closed).
 * - reset-before-response: the server reads the request, then resets the
 *   connection (`socket.resetAndDestroy()`: an RST) before any response byte.
 * - closed-before-response: the same, closing it instead (`socket.destroy()`: a FIN).
 * - reset-mid-response: the server sends `200`, `Content-Length: 100000` and
 *   1000 bytes, then resets 50 ms later: the error comes while reading the body.
 * - closed-mid-response: the same, closing instead of resetting.
 * - timeout: the server reads the request and never answers; the client's
 *   signal is `AbortSignal.timeout(300)`.
 *
 * `stage` says where the error surfaced: `request` (the fetch / request call
 * rejected) or `body` (reading the body after the head had arrived).
 *
 * Runtimes, on Linux x86_64:
 * - node-undici: undici 7.30.2 `Agent.request` (as src/transport/undici.ts uses
 *   it: keepAliveTimeout 4000, headersTimeout 0) on Node v20.20.2.
 * - node-fetch: Node v20.20.2's global fetch (its bundled undici 6.24.1).
 * - bun: Bun 1.4.5's global fetch.
 * - deno: Deno 2.9.5's global fetch (`deno run --allow-net`).
 * - workerd: workerd 1.20260426.1's fetch inside a module worker run by
 *   programmatic Miniflare 4.20260426.0, with wrangler.toml's compatibility
 *   date (2026-04-01) and flags (enable_request_signal, nodejs_compat).
 *   workerd says "Network connection lost." for every failure here, refused
 *   included: it cannot be told apart from a connection lost after the request
 *   left, so it must classify as `reset`, never `connect`.
 */

export type Runtime = 'node-undici' | 'node-fetch' | 'bun' | 'deno' | 'workerd';

export type Scenario =
  | 'refused'
  | 'reset-before-response'
  | 'closed-before-response'
  | 'reset-mid-response'
  | 'closed-mid-response'
  | 'timeout';

/** An error as plain data. `ctor` is the constructor's name. */
export interface ErrorShape {
  ctor: 'Error' | 'TypeError' | 'DOMException' | 'SocketError';
  name: string;
  message: string;
  code?: string | number;
  errno?: number;
  syscall?: string;
  address?: string;
  port?: number;
  /** Bun: the URL fetched. */
  path?: string;
  /** workerd's own flags. */
  remote?: boolean;
  retryable?: boolean;
  cause?: ErrorShape;
}

export interface CapturedError {
  runtime: Runtime;
  scenario: Scenario;
  stage: 'request' | 'body';
  error: ErrorShape;
}

export const CAPTURED: readonly CapturedError[] = [
  // undici Agent.request (undici 7.30.2, Node v20.20.2): the socket error itself, no wrapper.
  { runtime: 'node-undici', scenario: 'refused', stage: 'request',
    error: { ctor: 'Error', name: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:45935', code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port: 45935 } },
  { runtime: 'node-undici', scenario: 'reset-before-response', stage: 'request',
    error: { ctor: 'Error', name: 'Error', message: 'read ECONNRESET', code: 'ECONNRESET', errno: -104, syscall: 'read' } },
  { runtime: 'node-undici', scenario: 'closed-before-response', stage: 'request',
    error: { ctor: 'SocketError', name: 'SocketError', message: 'other side closed', code: 'UND_ERR_SOCKET' } },
  { runtime: 'node-undici', scenario: 'reset-mid-response', stage: 'body',
    error: { ctor: 'Error', name: 'Error', message: 'read ECONNRESET', code: 'ECONNRESET', errno: -104, syscall: 'read' } },
  { runtime: 'node-undici', scenario: 'closed-mid-response', stage: 'body',
    error: { ctor: 'SocketError', name: 'SocketError', message: 'other side closed', code: 'UND_ERR_SOCKET' } },
  { runtime: 'node-undici', scenario: 'timeout', stage: 'request',
    error: { ctor: 'DOMException', name: 'TimeoutError', message: 'The operation was aborted due to timeout', code: 23 } },
  // Node v20.20.2 global fetch: TypeError "fetch failed" (before the head) or "terminated" (mid-body) around the socket error.
  { runtime: 'node-fetch', scenario: 'refused', stage: 'request',
    error: { ctor: 'TypeError', name: 'TypeError', message: 'fetch failed',
      cause: { ctor: 'Error', name: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:45935', code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port: 45935 } } },
  { runtime: 'node-fetch', scenario: 'reset-before-response', stage: 'request',
    error: { ctor: 'TypeError', name: 'TypeError', message: 'fetch failed',
      cause: { ctor: 'Error', name: 'Error', message: 'read ECONNRESET', code: 'ECONNRESET', errno: -104, syscall: 'read' } } },
  { runtime: 'node-fetch', scenario: 'closed-before-response', stage: 'request',
    error: { ctor: 'TypeError', name: 'TypeError', message: 'fetch failed',
      cause: { ctor: 'SocketError', name: 'SocketError', message: 'other side closed', code: 'UND_ERR_SOCKET' } } },
  { runtime: 'node-fetch', scenario: 'reset-mid-response', stage: 'body',
    error: { ctor: 'TypeError', name: 'TypeError', message: 'terminated',
      cause: { ctor: 'Error', name: 'Error', message: 'read ECONNRESET', code: 'ECONNRESET', errno: -104, syscall: 'read' } } },
  { runtime: 'node-fetch', scenario: 'closed-mid-response', stage: 'body',
    error: { ctor: 'TypeError', name: 'TypeError', message: 'terminated',
      cause: { ctor: 'SocketError', name: 'SocketError', message: 'other side closed', code: 'UND_ERR_SOCKET' } } },
  { runtime: 'node-fetch', scenario: 'timeout', stage: 'request',
    error: { ctor: 'DOMException', name: 'TimeoutError', message: 'The operation was aborted due to timeout', code: 23 } },
  // Bun 1.4.5 fetch: one TypeError with a string code; a FIN reads as ECONNRESET too.
  { runtime: 'bun', scenario: 'refused', stage: 'request',
    error: { ctor: 'TypeError', name: 'TypeError', message: 'ECONNREFUSED: Unable to connect. Is the computer able to access the url?', code: 'ECONNREFUSED', errno: 0, path: 'http://127.0.0.1:45935/x' } },
  { runtime: 'bun', scenario: 'reset-before-response', stage: 'request',
    error: { ctor: 'TypeError', name: 'TypeError', message: 'ECONNRESET: The socket connection was closed unexpectedly. For more information, pass `verbose: true` in the second argument to fetch()', code: 'ECONNRESET', errno: 0, path: 'http://127.0.0.1:42041/x' } },
  { runtime: 'bun', scenario: 'closed-before-response', stage: 'request',
    error: { ctor: 'TypeError', name: 'TypeError', message: 'ECONNRESET: The socket connection was closed unexpectedly. For more information, pass `verbose: true` in the second argument to fetch()', code: 'ECONNRESET', errno: 0, path: 'http://127.0.0.1:40145/x' } },
  { runtime: 'bun', scenario: 'reset-mid-response', stage: 'body',
    error: { ctor: 'TypeError', name: 'TypeError', message: 'ECONNRESET: The socket connection was closed unexpectedly. For more information, pass `verbose: true` in the second argument to fetch()', code: 'ECONNRESET', errno: 0, path: 'http://127.0.0.1:38465/x' } },
  { runtime: 'bun', scenario: 'closed-mid-response', stage: 'body',
    error: { ctor: 'TypeError', name: 'TypeError', message: 'ECONNRESET: The socket connection was closed unexpectedly. For more information, pass `verbose: true` in the second argument to fetch()', code: 'ECONNRESET', errno: 0, path: 'http://127.0.0.1:45941/x' } },
  { runtime: 'bun', scenario: 'timeout', stage: 'request',
    error: { ctor: 'DOMException', name: 'TimeoutError', message: 'The operation timed out.', code: 23 } },
  // Deno 2.9.5 fetch: TypeError "fetch failed" around hyper's message, no codes; mid-body errors have no cause at all.
  { runtime: 'deno', scenario: 'refused', stage: 'request',
    error: { ctor: 'TypeError', name: 'TypeError', message: 'fetch failed',
      cause: { ctor: 'Error', name: 'Error', message: 'error sending request for url (http://127.0.0.1:45935/x): client error (Connect): tcp connect error: Connection refused (os error 111)' } } },
  { runtime: 'deno', scenario: 'reset-before-response', stage: 'request',
    error: { ctor: 'TypeError', name: 'TypeError', message: 'fetch failed',
      cause: { ctor: 'Error', name: 'Error', message: 'Connection reset by peer (os error 104)' } } },
  { runtime: 'deno', scenario: 'closed-before-response', stage: 'request',
    error: { ctor: 'TypeError', name: 'TypeError', message: 'fetch failed',
      cause: { ctor: 'Error', name: 'Error', message: 'error sending request from 127.0.0.1:37658 for http://127.0.0.1:40145/x (127.0.0.1:40145): client error (SendRequest): connection closed before message completed' } } },
  { runtime: 'deno', scenario: 'reset-mid-response', stage: 'body',
    error: { ctor: 'TypeError', name: 'TypeError', message: 'error reading a body from connection' } },
  { runtime: 'deno', scenario: 'closed-mid-response', stage: 'body',
    error: { ctor: 'TypeError', name: 'TypeError', message: 'error reading a body from connection' } },
  { runtime: 'deno', scenario: 'timeout', stage: 'request',
    error: { ctor: 'DOMException', name: 'TimeoutError', message: 'The operation was aborted due to timeout', code: 23 } },
  // workerd 1.20260426.1 (Miniflare 4.20260426.0): the same message for every failure.
  { runtime: 'workerd', scenario: 'refused', stage: 'request',
    error: { ctor: 'Error', name: 'Error', message: 'Network connection lost.', remote: true, retryable: true } },
  { runtime: 'workerd', scenario: 'reset-before-response', stage: 'request',
    error: { ctor: 'Error', name: 'Error', message: 'Network connection lost.', remote: true, retryable: true } },
  { runtime: 'workerd', scenario: 'closed-before-response', stage: 'request',
    error: { ctor: 'Error', name: 'Error', message: 'Network connection lost.', remote: true, retryable: true } },
  { runtime: 'workerd', scenario: 'reset-mid-response', stage: 'body',
    error: { ctor: 'Error', name: 'Error', message: 'Network connection lost.', retryable: true } },
  { runtime: 'workerd', scenario: 'closed-mid-response', stage: 'body',
    error: { ctor: 'Error', name: 'Error', message: 'Network connection lost.', retryable: true } },
  { runtime: 'workerd', scenario: 'timeout', stage: 'request',
    error: { ctor: 'DOMException', name: 'TimeoutError', message: 'The operation was aborted due to timeout', code: 23, retryable: true } },
];

/**
 * TLS handshake failures, captured the same way against node:https servers on
 * 127.0.0.1 with certificates made by openssl 3.0 (a private CA and what it
 * signed), from the clients that reach https:// backends with their own
 * settings: undici on Node, Bun's fetch, Deno's fetch (each as its transport
 * calls it). Every one surfaced at `request`, before any byte of it was sent.
 * - untrusted: a certificate signed by a CA the client was not given.
 * - self-signed: a self-signed certificate, no CA given.
 * - wrong-name: the CA given, the certificate for api.internal, the URL's host 127.0.0.1.
 * - expired: the CA given, the certificate a day past its end.
 * - not-tls: a plain HTTP server on an https:// URL.
 */
export type TlsScenario = 'untrusted' | 'self-signed' | 'wrong-name' | 'expired' | 'not-tls';

export interface CapturedTlsError {
  runtime: 'node-undici' | 'bun' | 'deno';
  scenario: TlsScenario;
  error: ErrorShape & { reason?: string; host?: string; library?: string };
}

export const CAPTURED_TLS: readonly CapturedTlsError[] = [
  { runtime: 'node-undici', scenario: 'untrusted', error: { ctor: 'Error', name: 'Error', message: 'unable to verify the first certificate', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' } },
  { runtime: 'node-undici', scenario: 'self-signed', error: { ctor: 'Error', name: 'Error', message: 'self-signed certificate', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' } },
  { runtime: 'node-undici', scenario: 'wrong-name',
    error: { ctor: 'Error', name: 'Error', message: "Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list: ", code: 'ERR_TLS_CERT_ALTNAME_INVALID', reason: "IP: 127.0.0.1 is not in the cert's list: ", host: '127.0.0.1' } },
  { runtime: 'node-undici', scenario: 'expired', error: { ctor: 'Error', name: 'Error', message: 'certificate has expired', code: 'CERT_HAS_EXPIRED' } },
  { runtime: 'node-undici', scenario: 'not-tls',
    error: { ctor: 'Error', name: 'Error', message: '809CA4ED497F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n', library: 'SSL routines', reason: 'wrong version number', code: 'ERR_SSL_WRONG_VERSION_NUMBER' } },
  // Bun 1.4.5: one TypeError with a string code, as for the other failures.
  { runtime: 'bun', scenario: 'untrusted', error: { ctor: 'TypeError', name: 'TypeError', message: 'unable to verify the first certificate', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', path: 'https://127.0.0.1:37773/', errno: 0 } },
  { runtime: 'bun', scenario: 'self-signed', error: { ctor: 'TypeError', name: 'TypeError', message: 'self signed certificate', code: 'DEPTH_ZERO_SELF_SIGNED_CERT', path: 'https://127.0.0.1:38197/', errno: 0 } },
  { runtime: 'bun', scenario: 'wrong-name',
    error: { ctor: 'TypeError', name: 'TypeError', message: 'ERR_TLS_CERT_ALTNAME_INVALID fetching "https://127.0.0.1:43767/". For more information, pass `verbose: true` in the second argument to fetch()', code: 'ERR_TLS_CERT_ALTNAME_INVALID', path: 'https://127.0.0.1:43767/', errno: 0 } },
  { runtime: 'bun', scenario: 'expired', error: { ctor: 'TypeError', name: 'TypeError', message: 'certificate has expired', code: 'CERT_HAS_EXPIRED', path: 'https://127.0.0.1:42977/', errno: 0 } },
  { runtime: 'bun', scenario: 'not-tls', error: { ctor: 'TypeError', name: 'TypeError', message: 'EPROTO: The TLS handshake failed. Does the server speak TLS on this port?', code: 'EPROTO', path: 'https://127.0.0.1:35679/', errno: 0 } },
  // Deno 2.9.5: "fetch failed" around rustls' words, no codes.
  { runtime: 'deno', scenario: 'untrusted',
    error: { ctor: 'TypeError', name: 'TypeError', message: 'fetch failed', cause: { ctor: 'Error', name: 'Error', message: 'error sending request for url (https://127.0.0.1:37773/): client error (Connect): invalid peer certificate: UnknownIssuer' } } },
  { runtime: 'deno', scenario: 'self-signed',
    error: { ctor: 'TypeError', name: 'TypeError', message: 'fetch failed', cause: { ctor: 'Error', name: 'Error', message: 'error sending request for url (https://127.0.0.1:38197/): client error (Connect): invalid peer certificate: Other(OtherError(CaUsedAsEndEntity))' } } },
  { runtime: 'deno', scenario: 'wrong-name',
    error: { ctor: 'TypeError', name: 'TypeError', message: 'fetch failed', cause: { ctor: 'Error', name: 'Error', message: 'error sending request for url (https://127.0.0.1:43767/): client error (Connect): invalid peer certificate: certificate not valid for name "127.0.0.1"; certificate is only valid for DnsName("api.internal")' } } },
  { runtime: 'deno', scenario: 'expired',
    error: { ctor: 'TypeError', name: 'TypeError', message: 'fetch failed', cause: { ctor: 'Error', name: 'Error', message: 'error sending request for url (https://127.0.0.1:42977/): client error (Connect): invalid peer certificate: Expired' } } },
  { runtime: 'deno', scenario: 'not-tls',
    error: { ctor: 'TypeError', name: 'TypeError', message: 'fetch failed', cause: { ctor: 'Error', name: 'Error', message: 'error sending request for url (https://127.0.0.1:35679/): client error (Connect): received corrupt message of type InvalidContentType' } } },
];
