/**
 * Node: WebSockets from the http(s) server's `upgrade` event. The core picks
 * the server; this tunnel writes the request line and the core's filtered
 * headers to it and, once it answers 101, pipes both sockets byte for byte
 * (subprotocols and permessage-deflate are negotiated end to end). It follows
 * the frames only to know where they end: to close a socket with a frame of
 * its own (1001 on drain or idle, 1011 when the backend dies) between two
 * frames. Frames are not relayed, so `max_message_bytes` does not apply here.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';
import { UpstreamError } from '../core/types.ts';
import { wantsWebSocket, type WebSocketTarget, type WebSocketUpgrader } from '../core/websocket.ts';
import { closeFrame, FrameCursor } from '../core/websocket-frames.ts';
import type { FetchHandler } from './types.ts';

/** Marks a response the tunnel has already written to the client's socket (the client's socket is the tunnel's). */
const TAKEN = `x-switchyard-tunnel-${randomBytes(8).toString('hex')}`;
/** Longest response head a backend may send to an upgrade. */
const MAX_HEAD_BYTES = 64 * 1024;
/** How long a close handshake may take before both sockets are destroyed. */
const CLOSE_GRACE_MS = 5_000;
/** How long a backend may take to answer an upgrade. */
const ANSWER_WITHIN_MS = 10_000;

/**
 * The `upgrade` listener of a node:http(s) server serving `handler` (which
 * reads the client's address from `env.incoming`, and the upgrader from
 * `env.webSocketUpgrade`). Any other upgrade (`h2c`, `foo`) is served as a plain
 * request, its upgrade headers removed by the core; one with a body is
 * refused 400 (Node hands the socket over before the body is read).
 */
export function upgradeListener(handler: FetchHandler, scheme: 'http' | 'https'): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    const host = headers.get('host') ?? '';
    let request: Request;
    try {
      request = new Request(`${scheme}://${host}${req.url ?? '/'}`, { method: req.method, headers });
    } catch {
      return void writeResponse(socket, new Response('Bad Request: invalid request target or Host\n', { status: 400 }), req.method);
    }
    if (!wantsWebSocket(headers) && (Number(headers.get('content-length') ?? 0) > 0 || headers.has('transfer-encoding'))) {
      return void writeResponse(socket, new Response('Bad Request: an Upgrade other than websocket is served only without a body\n', { status: 400 }), req.method);
    }
    const upgrade: WebSocketUpgrader = (_request, target) => tunnel(req, socket as Socket, head, target);
    Promise.resolve(handler(request, { incoming: req, outgoing: undefined, webSocketUpgrade: upgrade }))
      .then((res) => (res.headers.has(TAKEN) ? undefined : writeResponse(socket, res, req.method)))
      .catch(() => socket.destroy());
  };
}

/** Writes a web Response to a raw client socket as HTTP/1.1 and closes the connection after it. */
async function writeResponse(socket: Duplex, res: Response, method: string | undefined): Promise<void> {
  const lines = [`HTTP/1.1 ${res.status} ${res.statusText || 'Status'}`];
  const length = res.headers.get('content-length');
  res.headers.forEach((v, k) => {
    if (k !== 'connection' && k !== 'transfer-encoding' && k !== 'keep-alive') lines.push(`${k}: ${v}`);
  });
  const bodyless = method === 'HEAD' || res.status === 204 || res.status === 304 || !res.body;
  if (!bodyless && length === null) lines.push('transfer-encoding: chunked');
  if (bodyless && length === null && method !== 'HEAD') lines.push('content-length: 0');
  lines.push('connection: close');
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  if (!bodyless) {
    const chunked = length === null;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (socket.destroyed) break;
      if (chunked) socket.write(`${chunk.byteLength.toString(16)}\r\n`);
      if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
      if (chunked) socket.write('\r\n');
    }
    if (chunked) socket.write('0\r\n\r\n');
  } else await res.body?.cancel();
  socket.end();
}

/** Connects to the backend; rejects with `UpstreamError('connect')` when it cannot be reached. */
function connectTo(target: WebSocketTarget): Promise<Socket> {
  const { host, port } = target.backend;
  const secure = target.url.startsWith('wss:');
  return new Promise((resolve, reject) => {
    const s: Socket = secure ? tlsConnect({ host, port, servername: /^[\d.]+$|:/.test(host) ? undefined : host }) : netConnect({ host, port });
    const fail = (e: Error) => reject(new UpstreamError('connect', `${host}:${port}: ${e.message}`, { cause: e }));
    s.once('error', fail);
    s.once(secure ? 'secureConnect' : 'connect', () => {
      s.off('error', fail);
      resolve(s);
    });
  });
}

/** Reads the backend's response head (through its blank line) and whatever bytes came after it. */
function readHead(up: Socket): Promise<{ head: Buffer; rest: Buffer; status: number }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => done(new UpstreamError('timeout', `no answer to the upgrade within ${ANSWER_WITHIN_MS} ms`)), ANSWER_WITHIN_MS);
    const done = (e?: Error, value?: { head: Buffer; rest: Buffer; status: number }) => {
      clearTimeout(timer);
      up.off('data', onData);
      up.off('error', onError);
      up.off('close', onClose);
      if (e) reject(e);
      else resolve(value!);
    };
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > MAX_HEAD_BYTES) done(new UpstreamError('protocol', `response head over ${MAX_HEAD_BYTES} bytes`));
        return;
      }
      const head = buf.subarray(0, end + 4);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head.toString('latin1'));
      if (!m) return done(new UpstreamError('protocol', 'not an HTTP/1.1 response'));
      up.pause();
      done(undefined, { head, rest: buf.subarray(end + 4), status: Number(m[1]) });
    };
    const onError = (e: Error) => done(new UpstreamError('reset', e.message, { cause: e }));
    const onClose = () => done(new UpstreamError('reset', 'the backend closed the connection before answering'));
    up.on('data', onData);
    up.once('error', onError);
    up.once('close', onClose);
  });
}

/** The tunnel of one upgrade: the request written to the backend, then its answer passed to the client and, on 101, both sockets piped. */
async function tunnel(req: IncomingMessage, client: Socket, early: Buffer, target: WebSocketTarget): Promise<Response> {
  const up = await connectTo(target);
  const { backend } = target;
  const lines = [`GET ${new URL(target.url).pathname}${new URL(target.url).search} HTTP/1.1`, `host: ${backend.port === defaultPort(target.url) ? backend.host : `${backend.host}:${backend.port}`}`];
  target.headers.forEach((v, k) => lines.push(`${k}: ${v}`));
  up.write(`${lines.join('\r\n')}\r\n\r\n`);
  if (early.length) up.write(early);
  let answer: Awaited<ReturnType<typeof readHead>>;
  try {
    answer = await readHead(up);
  } catch (e) {
    up.destroy();
    throw e;
  }
  client.setNoDelay(true);
  up.setNoDelay(true);
  client.write(answer.head);
  if (answer.status !== 101) {
    // The backend's own answer, passed on as it is, to its end (then the connection closes).
    if (answer.rest.length) client.write(answer.rest);
    up.pipe(client);
    up.resume();
    client.once('close', () => up.destroy());
    return marked(answer.status >= 200 ? answer.status : 502);
  }
  pipeFrames(client, up, answer.rest, target);
  return marked(200);
}

const defaultPort = (url: string) => (url.startsWith('wss:') ? 443 : 80);

function marked(status: number): Response {
  return new Response(null, { status: status === 101 ? 200 : status, headers: { [TAKEN]: '1' } });
}

/** Pipes an open WebSocket both ways, with backpressure, and closes it for drain, idle, or a backend that died. */
function pipeFrames(client: Socket, up: Socket, rest: Buffer, target: WebSocketTarget): void {
  const down = new FrameCursor(); // backend → client
  const upward = new FrameCursor(); // client → backend
  let last = performance.now();
  let closing: { code: number; reason: string; toClient: boolean; toBackend: boolean } | undefined;
  let ended = false;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const idleMs = target.settings.idleTimeoutMs;

  const finish = () => {
    if (ended) return;
    ended = true;
    clearTimeout(idleTimer);
    clearTimeout(graceTimer);
    target.session.closed();
    client.destroy();
    up.destroy();
  };
  /** Writes our close frames at the next boundary of each direction, then ends both sockets. */
  const close = (code: number, reason: string) => {
    if (closing || ended) return;
    closing = { code, reason, toClient: false, toBackend: false };
    flushClose();
  };
  const flushClose = () => {
    if (!closing) return;
    if (!closing.toClient && down.atBoundary && !down.sawClose) {
      closing.toClient = true;
      client.write(closeFrame(closing.code, closing.reason));
    }
    if (!closing.toBackend && upward.atBoundary && !upward.sawClose) {
      closing.toBackend = true;
      up.write(closeFrame(closing.code === 1011 ? 1001 : closing.code, closing.reason, randomBytes(4)));
    }
    const clientDone = closing.toClient || down.sawClose;
    const backendDone = closing.toBackend || upward.sawClose;
    if (clientDone) client.end();
    if (backendDone) up.end();
    graceTimer ??= setTimeout(finish, CLOSE_GRACE_MS).unref();
  };
  /** Forwards a chunk from `from` to `to`, following its frames; stops at the boundary where a close of ours goes. */
  const relay = (from: Socket, to: Socket, cursor: FrameCursor, ours: () => boolean) => (chunk: Buffer) => {
    last = performance.now();
    if (closing && ours()) return; // our close is written: what follows is dropped
    let take = chunk.length;
    if (closing) take = cursor.feed(chunk, true);
    else cursor.feed(chunk);
    if (take && !to.write(take === chunk.length ? chunk : chunk.subarray(0, take))) {
      from.pause();
      to.once('drain', () => from.resume());
    }
    if (closing) flushClose();
  };
  client.on('data', relay(client, up, upward, () => closing!.toBackend));
  up.on('data', relay(up, client, down, () => closing!.toClient));
  if (rest.length) up.unshift(rest);
  up.resume();
  client.resume();
  client.on('close', finish);
  client.on('error', finish);
  up.on('error', () => up.destroy());
  // The backend went: a clean close frame already passed, else the client hears 1011 (between frames).
  up.on('close', () => {
    if (ended) return;
    if (!down.sawClose && !closing?.toClient && down.atBoundary && client.writable) client.write(closeFrame(1011, 'backend failed'));
    client.end();
    graceTimer ??= setTimeout(finish, CLOSE_GRACE_MS).unref();
  });
  if (idleMs > 0) {
    const check = () => {
      const quiet = performance.now() - last;
      if (quiet >= idleMs) close(1001, 'idle timeout');
      else idleTimer = setTimeout(check, idleMs - quiet);
    };
    idleTimer = setTimeout(check, idleMs);
  }
  target.session.opened({ close: (code, reason) => close(code, reason) });
}
