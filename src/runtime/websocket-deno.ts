/**
 * Deno: WebSockets through `Deno.upgradeWebSocket` and a relay
 * (websocket-relay.ts) to an upstream `WebSocket`. The upstream opens first,
 * offered the client's subprotocols; the client's socket then accepts the one
 * the backend chose. Deno's WebSocket cannot stop reading: a side whose
 * queue grows past 1 MiB (plus one message) is closed with 1013 rather than
 * kept in memory without bound. Used only where plain Deno.serve serves
 * (see deno.ts): Deno 2.9.5's per-connection server, which applies the
 * listener's limits, closes an upgraded socket as soon as it opens.
 */
import type { WebSocketUpgrader } from '../core/websocket.ts';
import { openUpstream, Relay } from './websocket-relay.ts';

type UpgradeWebSocket = (req: Request, options: { protocol?: string; idleTimeout?: number }) => { socket: WebSocket; response: Response };

/** How long the backend may take to accept the upstream socket. */
const OPEN_WITHIN_MS = 10_000;

/** The upgrader of one request Deno served (`req` as Deno handed it to the handler). */
export function denoUpgrader(upgradeWebSocket: UpgradeWebSocket, req: Request): WebSocketUpgrader {
  return async (_request, target) => {
    const upstream = await openUpstream(target, OPEN_WITHIN_MS);
    const relay = new Relay(upstream, target);
    let up: { socket: WebSocket; response: Response };
    try {
      up = upgradeWebSocket(req, { ...(upstream.protocol ? { protocol: upstream.protocol } : {}), idleTimeout: 0 });
    } catch (e) {
      relay.close(1011, 'upgrade failed');
      return new Response(`Bad Request: ${(e as Error).message}\n`, { status: 400 });
    }
    const { socket } = up;
    socket.binaryType = 'arraybuffer';
    socket.onopen = () =>
      relay.attach({
        send: (d) => {
          socket.send(d);
          return true;
        },
        close: (code, reason) => socket.close(code, reason),
        bufferedAmount: () => socket.bufferedAmount,
      });
    socket.onmessage = (e) => relay.fromClient(e.data as string | ArrayBuffer);
    socket.onclose = (e) => relay.clientClosed(e.code, e.reason);
    socket.onerror = () => {};
    return up.response;
  };
}
