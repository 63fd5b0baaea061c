/**
 * A WebSocket relay for the runtimes that end the client's socket themselves
 * (Bun, Deno): messages pass between the client's socket and an upstream
 * `WebSocket` to the chosen server, one by one, with their close codes. Pings
 * are answered at each hop by the runtime. permessage-deflate is off on both
 * hops (Bun keeps ~200 KiB of zlib state per socket and hop); Deno's client
 * offers none. A message over `max_message_bytes` closes both sides with 1009;
 * none either way for `idle_timeout` closes them with 1001; a backend that
 * goes without a close frame closes the client with 1011.
 */
import { UpstreamError } from '../core/types.ts';
import type { WebSocketTarget } from '../core/websocket.ts';

/** The client's side as the runtime offers it. */
export interface ClientSide {
  /** Sends one message; `false`: it is queued past the runtime's backpressure mark (the relay stops reading upstream until `drained`). */
  send(data: string | ArrayBuffer | Uint8Array): boolean;
  close(code?: number, reason?: string): void;
  /** Stops/starts reading the client's messages, where the runtime can. */
  pause?(): void;
  resume?(): void;
  /** Bytes queued towards the client, where the runtime says (no `pause`: past a bound the socket is closed 1013). */
  bufferedAmount?(): number;
}

/** Upstream bytes queued past which the client's messages are not read (Bun), or the socket is closed with 1013 (Deno: no way to stop reading). */
const HIGH_WATER_BYTES = 1024 * 1024;
/** How often a paused client is looked at again. */
const DRAIN_POLL_MS = 10;

/** Headers for an upstream WebSocket client: the core's, without the ones the client makes itself. */
export function relayHeaders(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((v, k) => {
    if (!/^(sec-websocket-|connection$|upgrade$|host$)/.test(k)) out[k] = v;
  });
  return out;
}

/** Opens the upstream socket; rejects with an UpstreamError when the backend refuses it or cannot be reached. */
export function openUpstream(target: WebSocketTarget, timeoutMs: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const Ws = WebSocket as unknown as new (url: string, options: { headers: Record<string, string>; protocols: string[]; perMessageDeflate: boolean }) => WebSocket;
    let ws: WebSocket;
    try {
      // No permessage-deflate on the hop to the backend (Bun's option; Deno offers none): a zlib context costs ~200 KiB a socket.
      ws = new Ws(target.url, { headers: relayHeaders(target.headers), protocols: target.protocols, perMessageDeflate: false });
    } catch (e) {
      return reject(new UpstreamError('protocol', String(e)));
    }
    ws.binaryType = 'arraybuffer';
    const timer = setTimeout(() => {
      ws.close();
      reject(new UpstreamError('timeout', `no WebSocket from the backend within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.onopen = () => {
      clearTimeout(timer);
      resolve(ws);
    };
    ws.onerror = () => {
      clearTimeout(timer);
      reject(new UpstreamError('protocol', 'the backend refused the WebSocket (unreachable, or answered other than 101)'));
    };
  });
}

const sizeOf = (d: string | ArrayBuffer | Uint8Array) => (typeof d === 'string' ? d.length * 3 : d.byteLength);
/** Closes the upstream with `code` where the runtime's client may send it (Bun: any; the WebSocket standard: 1000, 3000-4999), else 1000. */
function closeUpstream(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    ws.close(1000, reason);
  }
}

/** One relayed socket: created once the upstream is open, `attach`ed when the client's side is. */
export class Relay {
  private client: ClientSide | undefined;
  private readonly pending: Array<string | ArrayBuffer> = [];
  private done = false;
  private last = performance.now();
  private idle: ReturnType<typeof setTimeout> | undefined;
  private readonly upstream: WebSocket;
  private readonly target: WebSocketTarget;

  constructor(upstream: WebSocket, target: WebSocketTarget) {
    this.upstream = upstream;
    this.target = target;
    upstream.onmessage = (e: MessageEvent) => this.fromUpstream(e.data as string | ArrayBuffer);
    upstream.onclose = (e: CloseEvent) => this.upstreamClosed(e.code, e.reason, e.wasClean);
    upstream.onerror = () => {};
    const idleMs = target.settings.idleTimeoutMs;
    if (idleMs > 0) {
      const check = () => {
        const quiet = performance.now() - this.last;
        if (quiet >= idleMs) this.close(1001, 'idle timeout');
        else this.idle = setTimeout(check, idleMs - quiet);
      };
      this.idle = setTimeout(check, idleMs);
    }
    target.session.opened({ close: (code, reason) => this.close(code, reason) });
  }

  /** The client's side is open: what the backend already sent goes first. */
  attach(client: ClientSide): void {
    this.client = client;
    if (this.done) return client.close(1011, 'backend failed');
    for (const m of this.pending.splice(0)) this.deliver(m);
  }

  /** A message from the client. */
  fromClient(data: string | ArrayBuffer | Uint8Array): void {
    if (this.done) return;
    this.last = performance.now();
    if (sizeOf(data) > this.target.settings.maxMessageBytes && (typeof data !== 'string' || new TextEncoder().encode(data).byteLength > this.target.settings.maxMessageBytes)) {
      return this.close(1009, 'message too big');
    }
    this.upstream.send(data);
    if (this.upstream.bufferedAmount > HIGH_WATER_BYTES) {
      if (!this.client?.pause) return this.close(1013, 'backend not keeping up');
      this.client.pause();
      const poll = () => (this.done || this.upstream.bufferedAmount <= HIGH_WATER_BYTES / 2 ? this.client?.resume?.() : setTimeout(poll, DRAIN_POLL_MS));
      setTimeout(poll, DRAIN_POLL_MS);
    }
  }

  /** The client closed (`code` as it sent it): the backend hears the same where a client may send it. */
  clientClosed(code: number, reason: string): void {
    if (this.done) return;
    this.finish();
    if (code === 1005 || code === 1006) return this.upstream.close();
    closeUpstream(this.upstream, code, reason);
  }

  /** The client can take more again (Bun's `drain`): reading upstream resumes. */
  drained(): void {
    (this.upstream as unknown as { resume?: () => void }).resume?.();
  }

  /** Closes both sides with `code` (drain, idle, a message too big). */
  close(code: number, reason: string): void {
    if (this.done) return;
    this.finish();
    this.client?.close(code, reason);
    closeUpstream(this.upstream, code, reason);
  }

  private fromUpstream(data: string | ArrayBuffer): void {
    if (this.done) return;
    this.last = performance.now();
    if (sizeOf(data) > this.target.settings.maxMessageBytes && (typeof data !== 'string' || new TextEncoder().encode(data).byteLength > this.target.settings.maxMessageBytes)) {
      return this.close(1009, 'message too big');
    }
    if (!this.client) return void this.pending.push(data);
    this.deliver(data);
  }

  private deliver(data: string | ArrayBuffer): void {
    const client = this.client!;
    if (client.send(data)) return;
    const up = this.upstream as unknown as { pause?: () => void };
    if (up.pause) up.pause();
    else if ((client.bufferedAmount?.() ?? 0) > HIGH_WATER_BYTES + this.target.settings.maxMessageBytes) this.close(1013, 'client not keeping up');
  }

  private upstreamClosed(code: number, reason: string, clean: boolean): void {
    if (this.done) return;
    this.finish();
    if (!this.client) return; // attach closes it
    if (!clean || code === 1006) this.client.close(1011, 'backend failed');
    else if (code === 1005) this.client.close(1000);
    else this.client.close(code, reason);
  }

  private finish(): void {
    this.done = true;
    clearTimeout(this.idle);
    this.target.session.closed();
  }
}
