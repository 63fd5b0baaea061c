/**
 * Bun: WebSockets through `server.upgrade()` and a relay (websocket-relay.ts)
 * to an upstream `WebSocket`. The upstream opens first, offered the client's
 * subprotocols; the client's socket is then upgraded with the one the backend
 * chose. Backpressure both ways: a `send` past Bun's mark pauses reading the
 * upstream until `drain`; upstream bytes queued past 1 MiB pause reading the
 * client. Nothing is dropped.
 */
import type { WebSocketUpgrader } from '../core/websocket.ts';
import { openUpstream, Relay } from './websocket-relay.ts';

/** Bun's ServerWebSocket, as far as the relay uses it. */
interface BunSocket {
  data: { relay: Relay };
  send(data: string | ArrayBuffer | Uint8Array): number;
  close(code?: number, reason?: string): void;
  pause?(): void;
  resume?(): void;
  getBufferedAmount?(): number;
}

interface UpgradingServer {
  upgrade(req: Request, options: { headers?: Record<string, string>; data: unknown }): boolean;
}

/** Marks the answer of a request Bun has upgraded (its fetch then returns nothing). */
export const UPGRADED = 'x-switchyard-upgraded';

/** How long the backend may take to accept the upstream socket. */
const OPEN_WITHIN_MS = 10_000;

/** The upgrader of one request Bun served (`req` as Bun handed it to fetch). */
export function bunUpgrader(server: UpgradingServer, req: Request): WebSocketUpgrader {
  return async (_request, target) => {
    const upstream = await openUpstream(target, OPEN_WITHIN_MS);
    const relay = new Relay(upstream, target);
    const headers: Record<string, string> = upstream.protocol ? { 'sec-websocket-protocol': upstream.protocol } : {};
    if (!server.upgrade(req, { headers, data: { relay } })) {
      relay.close(1011, 'upgrade failed');
      return new Response('Bad Request: not a WebSocket upgrade\n', { status: 400 });
    }
    return new Response(null, { status: 200, headers: { [UPGRADED]: '1' } });
  };
}

/** Bun.serve's `websocket` handlers: each socket's relay is its `data`. Limits are the relay's (per service), not Bun's. */
export const bunWebSocket = {
  maxPayloadLength: 1024 * 1024 * 1024,
  idleTimeout: 0,
  sendPings: false,
  perMessageDeflate: false,
  backpressureLimit: 16 * 1024 * 1024,
  closeOnBackpressureLimit: false,
  open(ws: BunSocket) {
    ws.data.relay.attach({
      send: (d) => ws.send(d) !== -1,
      close: (code, reason) => ws.close(code, reason),
      pause: ws.pause ? () => ws.pause!() : undefined,
      resume: ws.resume ? () => ws.resume!() : undefined,
      bufferedAmount: () => ws.getBufferedAmount?.() ?? 0,
    });
  },
  message(ws: BunSocket, message: string | Uint8Array) {
    ws.data.relay.fromClient(message);
  },
  close(ws: BunSocket, code: number, reason: string) {
    ws.data.relay.clientClosed(code, reason);
  },
  drain(ws: BunSocket) {
    ws.data.relay.drained();
  },
};
