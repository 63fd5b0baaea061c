import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Agent, errors } from 'undici';
import { UpstreamError, type UpstreamErrorKind } from '../core/types.ts';
import { attemptTimedOut, classify, invalidResponse, upstreamMessage } from './classify.ts';
import { CAPTURED, CAPTURED_TLS, type CapturedError, type CapturedTlsError, type ErrorShape, type Runtime, type Scenario, type TlsScenario } from './classify.fixtures.ts';

const WHERE = '127.0.0.1:9001';

/** The signal of an attempt: aborted by its timeout (`true`), or still running. */
function attemptSignal(timedOut: boolean): AbortSignal {
  const c = new AbortController();
  if (timedOut) c.abort(new DOMException('no response within 300 ms', 'TimeoutError'));
  return c.signal;
}

/**
 * The kind each failure must get. `connect` only where the request surely never
 * left (connect retries any method, POST included); whatever may have reached
 * the server is `reset` (or `timeout`).
 */
const KIND: Record<Scenario, UpstreamErrorKind> = {
  refused: 'connect',
  'reset-before-response': 'reset',
  'closed-before-response': 'reset',
  'reset-mid-response': 'reset',
  'closed-mid-response': 'reset',
  timeout: 'timeout',
};
const EXCEPTIONS: Partial<Record<Runtime, Partial<Record<Scenario, UpstreamErrorKind>>>> = {
  // "Network connection lost." is all workerd says, refused or lost after sending.
  workerd: { refused: 'reset' },
};
const expectedKind = (c: CapturedError): UpstreamErrorKind => EXCEPTIONS[c.runtime]?.[c.scenario] ?? KIND[c.scenario];

const OWN_FIELDS = ['code', 'errno', 'syscall', 'address', 'port', 'path', 'remote', 'retryable'] as const;

/** An error of the recorded constructor carrying the recorded fields and cause chain. */
function rebuild(s: ErrorShape): Error {
  const options = s.cause ? { cause: rebuild(s.cause) } : undefined;
  let e: Error;
  if (s.ctor === 'DOMException') {
    e = new DOMException(s.message, s.name); // `code` (23 for TimeoutError) follows from the name
  } else if (s.ctor === 'SocketError') {
    e = new errors.SocketError(s.message); // undici's own class: name SocketError, code UND_ERR_SOCKET
  } else {
    e = s.ctor === 'TypeError' ? new TypeError(s.message, options) : new Error(s.message, options);
  }
  const fields = e as unknown as Record<string, unknown>;
  for (const k of OWN_FIELDS) if (s[k] !== undefined && fields[k] !== s[k]) fields[k] = s[k];
  if (options && e.cause === undefined) Object.defineProperty(e, 'cause', { value: options.cause, configurable: true, writable: true });
  return e;
}

/** The same plain data the capture wrote down, read back from an error. */
function toShape(e: unknown): ErrorShape {
  const o = e as Record<string, unknown>;
  const s: Record<string, unknown> = { ctor: (e as object).constructor.name, name: o.name, message: o.message };
  for (const k of OWN_FIELDS) if (o[k] !== undefined) s[k] = o[k];
  if (o.cause !== undefined) s.cause = toShape(o.cause);
  return s as unknown as ErrorShape;
}

describe('classify: the captured errors are complete and rebuilt faithfully', () => {
  it('one capture per runtime and scenario', () => {
    const keys = CAPTURED.map((c) => `${c.runtime} ${c.scenario}`);
    assert.equal(new Set(keys).size, keys.length, 'no duplicates');
    assert.equal(keys.length, 5 * Object.keys(KIND).length);
  });
  for (const c of CAPTURED) {
    it(`${c.runtime} ${c.scenario}`, () => assert.deepEqual(toShape(rebuild(c.error)), c.error));
  }
});

describe('classify: every real error shape gets its kind', () => {
  for (const c of CAPTURED) {
    const want = expectedKind(c);
    it(`${c.runtime}, ${c.scenario} (${c.stage}) → ${want}`, () => {
      const error = rebuild(c.error);
      // What the transports pass: true only when the attempt's own timeout fired.
      const got = classify(error, attemptSignal(c.scenario === 'timeout'), WHERE);
      assert.ok(got instanceof UpstreamError);
      assert.equal(got.kind, want);
      assert.equal(got.cause, error);
      if (c.scenario === 'timeout') assert.equal(classify(error, attemptSignal(false), WHERE).kind, 'timeout', 'by its name alone');
    });
  }

  it('nothing that may have reached the server is connect', () => {
    const wrong = CAPTURED.filter((c) => c.scenario !== 'refused' && classify(rebuild(c.error), attemptSignal(false), WHERE).kind === 'connect');
    assert.deepEqual(wrong.map((c) => `${c.runtime} ${c.scenario}`), []);
  });

  it('a timed-out attempt is a timeout whatever the runtime reported', () => {
    for (const c of CAPTURED) assert.equal(classify(rebuild(c.error), attemptSignal(true), WHERE).kind, 'timeout', `${c.runtime} ${c.scenario}`);
  });
});

describe('classify: the message is a sentence naming the backend', () => {
  const pick = (runtime: Runtime, scenario: Scenario) => rebuild(CAPTURED.find((c) => c.runtime === runtime && c.scenario === scenario)!.error);
  const table: Array<[string, Error, boolean, string]> = [
    ['undici timeout (a DOMException, numeric code 23)', pick('node-undici', 'timeout'), true, 'timeout: no response headers from 127.0.0.1:9001 in time (The operation was aborted due to timeout)'],
    ['Bun timeout', pick('bun', 'timeout'), true, 'timeout: no response headers from 127.0.0.1:9001 in time (The operation timed out.)'],
    ['Node fetch refused: the cause’s code', pick('node-fetch', 'refused'), false, 'connect: could not connect to 127.0.0.1:9001 (ECONNREFUSED)'],
    ['undici closed: its words, not its UND_ERR_ code', pick('node-undici', 'closed-before-response'), false, 'reset: 127.0.0.1:9001 closed the connection before a complete response (other side closed)'],
    ['Bun reset: its code', pick('bun', 'reset-before-response'), false, 'reset: 127.0.0.1:9001 closed the connection before a complete response (ECONNRESET)'],
    [
      'Deno refused: the cause’s words, not "fetch failed"',
      pick('deno', 'refused'),
      false,
      'connect: could not connect to 127.0.0.1:9001 (error sending request for url (http://127.0.0.1:45935/x): client error (Connect): tcp connect error: Connection refused (os error 111))',
    ],
    ['Deno mid-body', pick('deno', 'reset-mid-response'), false, 'reset: 127.0.0.1:9001 closed the connection before a complete response (error reading a body from connection)'],
    ['workerd', pick('workerd', 'refused'), false, 'reset: 127.0.0.1:9001 closed the connection before a complete response (Network connection lost.)'],
    ['an AbortError (numeric code 20): cancelled, no fault of the backend', new DOMException('This operation was aborted', 'AbortError'), false, 'protocol: the request to 127.0.0.1:9001 was cancelled (This operation was aborted)'],
    ['an error with no message: its name', Object.assign(new Error(''), { name: 'HeadersOverflowError' }), false, 'protocol: 127.0.0.1:9001 sent an invalid response (HeadersOverflowError)'],
    ['a thrown string', 'boom' as unknown as Error, false, 'protocol: 127.0.0.1:9001 sent an invalid response (boom)'],
  ];
  for (const [name, error, timedOut, message] of table) {
    it(name, () => assert.equal(classify(error, attemptSignal(timedOut), WHERE).message, message));
  }

  // What each runtime's client threw for a response it refused to read (seen against scripted backends).
  const refused: Array<[string, unknown, string]> = [
    [
      'Deno: over 100 header lines (hyper)',
      new TypeError('fetch failed', { cause: new Error('error sending request from 127.0.0.1:1 for http://127.0.0.1:9001/x (127.0.0.1:9001): client error (SendRequest): message head is too large') }),
      'a response head too large to read (more than 100 header fields, or too many bytes)',
    ],
    ['undici: head over maxHeaderSize', new errors.HeadersOverflowError(), 'response headers over the limit'],
    ['undici: 101 to a request that asked for no upgrade', new errors.SocketError('bad upgrade'), '101 Switching Protocols to a request that asked for no upgrade'],
    ['undici: a 100 Continue nobody asked for', new errors.SocketError('bad response'), 'a response no request was waiting for (or a 100 Continue nobody asked for)'],
    [
      'Node fetch: Content-Length with Transfer-Encoding',
      new TypeError('fetch failed', { cause: Object.assign(new Error("Response does not match the HTTP/1.1 protocol (Content-Length can't be present with Transfer-Encoding)"), { code: 'HPE_UNEXPECTED_CONTENT_LENGTH' }) }),
      'both Content-Length and Transfer-Encoding, so its body has two lengths',
    ],
    ['Bun: 101 unasked', Object.assign(new TypeError('UnrequestedUpgrade fetching "http://127.0.0.1:9001/x".'), { code: 'UnrequestedUpgrade' }), '101 Switching Protocols to a request that asked for no upgrade'],
    ['Deno: a bad status code', new TypeError('fetch failed', { cause: new Error('client error (SendRequest): invalid HTTP status-code parsed') }), 'an invalid status code'],
  ];
  for (const [name, error, what] of refused) {
    it(`${name}: protocol, saying what the backend sent`, () => {
      const got = classify(error, attemptSignal(false), WHERE);
      assert.equal(got.kind, 'protocol');
      assert.ok(got.message.startsWith(`protocol: ${WHERE} sent ${what} (`), got.message);
    });
  }

  it('no captured error ends in a bare number, and each starts with its kind and names the backend', () => {
    for (const c of CAPTURED) {
      const { kind, message } = classify(rebuild(c.error), attemptSignal(c.scenario === 'timeout'), WHERE);
      assert.doesNotMatch(message, /: -?\d+\)?$/, `${c.runtime} ${c.scenario}: ${message}`);
      assert.ok(message.startsWith(`${kind}: `) && message.includes(WHERE), `${c.runtime} ${c.scenario}: ${message}`);
    }
  });

  it('an UpstreamError passes through as it is', () => {
    const e = new UpstreamError('connect', 'connect: could not connect to a');
    assert.equal(classify(e, attemptSignal(true), WHERE), e);
  });
});

describe('upstream error messages, by kind', () => {
  const table: Array<[string, string, string]> = [
    ['connect', upstreamMessage('connect', WHERE, 'ECONNREFUSED'), 'connect: could not connect to 127.0.0.1:9001 (ECONNREFUSED)'],
    ['reset', upstreamMessage('reset', WHERE, 'ECONNRESET'), 'reset: 127.0.0.1:9001 closed the connection before a complete response (ECONNRESET)'],
    ['timeout, the runtime’s own limit', upstreamMessage('timeout', WHERE), 'timeout: no response headers from 127.0.0.1:9001 in time'],
    ['timeout, the attempt’s limit (2 s)', attemptTimedOut(WHERE, 2000).message, 'timeout: no response headers from 127.0.0.1:9001 within 2 s'],
    ['timeout, 1.5 s', attemptTimedOut(WHERE, 1500).message, 'timeout: no response headers from 127.0.0.1:9001 within 1.5 s'],
    ['timeout, under a second', attemptTimedOut(WHERE, 250).message, 'timeout: no response headers from 127.0.0.1:9001 within 250 ms'],
    ['protocol, unspecified', upstreamMessage('protocol', WHERE), 'protocol: 127.0.0.1:9001 sent an invalid response'],
    ['protocol, what the backend did wrong', invalidResponse(WHERE, 'status 999, outside 200-599').message, 'protocol: 127.0.0.1:9001 sent status 999, outside 200-599'],
  ];
  for (const [name, got, want] of table) it(name, () => assert.equal(got, want));

  it('the attempt’s timeout is a timeout, and keeps what the runtime threw as its cause', () => {
    const cause = new DOMException('x', 'TimeoutError');
    const e = attemptTimedOut(WHERE, 2000, cause);
    assert.deepEqual([e.kind, e.cause], ['timeout', cause]);
    assert.equal(invalidResponse(WHERE, 'x').kind, 'protocol');
  });
});

/**
 * The Node rows of the fixture were captured on this Node; they are checked
 * again here, against scripted loopback servers, so a Node or undici upgrade
 * that changes them fails here rather than silently misclassifying. (Timeouts
 * are left out: they would need a real wait.)
 */
describe('classify: this Node still throws the captured shapes', () => {
  const HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n';
  interface Scripted { port: number; server: Server; sockets: Set<Socket>; socket(): Socket }
  const servers: Partial<Record<Scenario, Scripted>> = {};
  let refusedPort = 0;

  function listen(onRequest: (s: Socket) => void): Promise<Scripted> {
    let last: Socket | undefined;
    const sockets = new Set<Socket>();
    const server = createServer((s) => {
      last = s;
      sockets.add(s);
      s.on('error', () => {});
      s.once('data', () => onRequest(s));
    });
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as { port: number }).port, server, sockets, socket: () => last! })));
  }

  before(async () => {
    const gone = await listen(() => {});
    refusedPort = gone.port;
    await new Promise((r) => gone.server.close(r));
    servers['reset-before-response'] = await listen((s) => s.resetAndDestroy());
    servers['closed-before-response'] = await listen((s) => s.destroy());
    servers['reset-mid-response'] = await listen((s) => s.write(HEAD + 'x'.repeat(1000)));
    servers['closed-mid-response'] = await listen((s) => s.write(HEAD + 'x'.repeat(1000)));
  });
  after(() => {
    for (const s of Object.values(servers)) for (const socket of s.sockets) socket.destroy();
    return Promise.all(Object.values(servers).map((s) => new Promise((r) => s.server.close(r))));
  });

  /** Once the head has arrived, the mid-response servers cut the connection. */
  function cut(scenario: Scenario): void {
    if (scenario === 'reset-mid-response') servers[scenario]!.socket().resetAndDestroy();
    if (scenario === 'closed-mid-response') servers[scenario]!.socket().destroy();
  }

  const clients: Record<'node-undici' | 'node-fetch', (port: number, scenario: Scenario) => Promise<unknown>> = {
    async 'node-undici'(port, scenario) {
      const agent = new Agent({ keepAliveTimeout: 4_000, headersTimeout: 0 });
      try {
        const res = await agent.request({ origin: `http://127.0.0.1:${port}`, path: '/x', method: 'GET' });
        cut(scenario);
        await res.body.arrayBuffer();
      } catch (e) {
        return e;
      } finally {
        await agent.close();
      }
    },
    async 'node-fetch'(port, scenario) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/x`);
        cut(scenario);
        await res.arrayBuffer();
      } catch (e) {
        return e;
      }
    },
  };

  /** Ports differ from run to run; nothing else may. */
  const samePorts = (s: ErrorShape): unknown => JSON.parse(JSON.stringify(s).replace(/(127\.0\.0\.1:)\d+/g, '$1PORT').replace(/("port":)\d+/g, '$10'));

  for (const c of CAPTURED) {
    if ((c.runtime !== 'node-undici' && c.runtime !== 'node-fetch') || c.scenario === 'timeout') continue;
    it(`${c.runtime} ${c.scenario}`, async () => {
      const port = c.scenario === 'refused' ? refusedPort : servers[c.scenario]!.port;
      const error = await clients[c.runtime as 'node-undici' | 'node-fetch'](port, c.scenario);
      assert.ok(error, 'the request failed');
      assert.deepEqual(samePorts(toShape(error)), samePorts(c.error));
      assert.equal(classify(error, attemptSignal(false), WHERE).kind, expectedKind(c));
    });
  }
});

describe('classify: a TLS handshake the client refused is connect, saying what was wrong', () => {
  /** The error as captured, with the TLS fields undici adds (`reason`, `host`, `library`). */
  const rebuildTls = (c: CapturedTlsError) => {
    const e = rebuild(c.error);
    for (const k of ['reason', 'host', 'library'] as const) if (c.error[k] !== undefined) Object.assign(e, { [k]: c.error[k] });
    return e;
  };
  const SAYS: Record<TlsScenario, string> = {
    untrusted: 'certificate not trusted',
    'self-signed': 'certificate not trusted',
    expired: 'certificate not trusted',
    'wrong-name': 'certificate name does not match',
    'not-tls': 'TLS handshake failed',
  };
  it('every runtime and scenario captured once', () => {
    const keys = CAPTURED_TLS.map((c) => `${c.runtime} ${c.scenario}`);
    assert.equal(new Set(keys).size, 3 * Object.keys(SAYS).length);
  });
  for (const c of CAPTURED_TLS) {
    it(`${c.runtime}, ${c.scenario} → connect: ${SAYS[c.scenario]}`, () => {
      const error = rebuildTls(c);
      const got = classify(error, attemptSignal(false), WHERE);
      assert.equal(got.kind, 'connect');
      assert.ok(got.message.startsWith(`connect: could not connect to ${WHERE}: ${SAYS[c.scenario]} (`), got.message);
      assert.equal(got.cause, error);
      assert.equal(classify(error, attemptSignal(true), WHERE).kind, 'timeout', 'a timed-out attempt stays a timeout');
    });
  }
  const pick = (runtime: CapturedTlsError['runtime'], scenario: TlsScenario) => rebuildTls(CAPTURED_TLS.find((c) => c.runtime === runtime && c.scenario === scenario)!);
  const words: Array<[string, Error, string]> = [
    ['undici untrusted: its words and code', pick('node-undici', 'untrusted'), 'certificate not trusted (unable to verify the first certificate, UNABLE_TO_VERIFY_LEAF_SIGNATURE)'],
    ["undici not TLS: OpenSSL's reason, not its error string", pick('node-undici', 'not-tls'), 'TLS handshake failed (wrong version number, ERR_SSL_WRONG_VERSION_NUMBER)'],
    ["Bun wrong name: the code, without Bun's advice", pick('bun', 'wrong-name'), 'certificate name does not match (ERR_TLS_CERT_ALTNAME_INVALID)'],
    ["Deno untrusted: rustls' words, without the request line", pick('deno', 'untrusted'), 'certificate not trusted (invalid peer certificate: UnknownIssuer)'],
    ['Deno wrong name', pick('deno', 'wrong-name'), 'certificate name does not match (invalid peer certificate: certificate not valid for name "127.0.0.1"; certificate is only valid for DnsName("api.internal"))'],
  ];
  for (const [name, error, said] of words) {
    it(name, () => assert.equal(classify(error, attemptSignal(false), WHERE).message, `connect: could not connect to ${WHERE}: ${said}`));
  }
  it('a TLS error after the handshake is not connect (the request may have left)', () => {
    const late = Object.assign(new Error('decryption failed or bad record mac'), { code: 'ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC' });
    assert.notEqual(classify(late, attemptSignal(false), WHERE).kind, 'connect');
  });
});
