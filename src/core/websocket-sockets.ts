/**
 * The open WebSockets of one service, by server: what a drain, or the
 * server's removal, closes. A config or admin change that keeps a server
 * (drain aside) leaves its sockets alone.
 */
import type { WebSocketSettings } from '../config/websocket-schema.ts';

/** A relayed or tunnelled socket as the balancer may close it. */
export interface SocketHandle {
  /** Closes both sides: the client gets `code` (1001 going away, 1011 backend failed) and `reason`. */
  close(code: number, reason: string): void;
}

interface Entry {
  handle: SocketHandle;
  timer?: ReturnType<typeof setTimeout>;
}

/** Close code for a socket whose server is drained or removed. */
export const GOING_AWAY = 1001;

/** When one drained socket closes: after `drainTimeoutMs`, at a point of the spread window `random` (0-1) picks. */
export function drainCloseAfterMs(settings: Pick<WebSocketSettings, 'drainTimeoutMs' | 'drainSpreadMs'>, random: number): number {
  return settings.drainTimeoutMs + Math.floor(random * settings.drainSpreadMs);
}

export class OpenSockets {
  private readonly byServer = new Map<string, Set<Entry>>();
  private readonly random: () => number;
  /** Servers whose sockets are being drained (drained or removed). */
  private readonly draining = new Set<string>();
  private settings: WebSocketSettings | undefined;

  constructor(random: () => number) {
    this.random = random;
  }

  /** Registers an open socket to server `id`; the returned function forgets it (call it when the socket ends). */
  add(id: string, handle: SocketHandle): () => void {
    let set = this.byServer.get(id);
    if (!set) this.byServer.set(id, (set = new Set()));
    const entry: Entry = { handle };
    set.add(entry);
    if (this.draining.has(id)) this.schedule(entry);
    return () => {
      clearTimeout(entry.timer);
      const s = this.byServer.get(id);
      s?.delete(entry);
      if (s && !s.size && !this.draining.has(id)) this.byServer.delete(id);
    };
  }

  /** Open sockets to server `id`. */
  count(id: string): number {
    return this.byServer.get(id)?.size ?? 0;
  }

  /**
   * The service's servers as they now stand: a drained or unlisted server's
   * sockets are closed with 1001 after `drainTimeoutMs`, spread over
   * `drainSpreadMs`; a server no longer drained keeps the sockets it has.
   */
  sync(servers: ReadonlyArray<{ id: string; drained: boolean }>, settings: WebSocketSettings): void {
    this.settings = settings;
    const listed = new Map(servers.map((s) => [s.id, s.drained]));
    for (const id of new Set([...this.byServer.keys(), ...this.draining])) {
      const drain = listed.get(id) ?? true;
      if (drain && !this.draining.has(id)) {
        this.draining.add(id);
        for (const e of this.byServer.get(id) ?? []) this.schedule(e);
      } else if (!drain && this.draining.has(id)) {
        this.draining.delete(id);
        for (const e of this.byServer.get(id) ?? []) {
          clearTimeout(e.timer);
          e.timer = undefined;
        }
      }
      if (!listed.has(id) && !this.byServer.get(id)?.size) {
        this.draining.delete(id);
        this.byServer.delete(id);
      }
    }
    for (const [id, drained] of listed) if (drained) this.draining.add(id);
  }

  /** Every socket of every server, closed now with `code` (the service is gone). */
  closeAll(code: number, reason: string): void {
    for (const set of this.byServer.values()) for (const e of [...set]) e.handle.close(code, reason);
  }

  private schedule(e: Entry): void {
    if (e.timer || !this.settings) return;
    e.timer = setTimeout(() => e.handle.close(GOING_AWAY, 'server going away'), drainCloseAfterMs(this.settings, this.random()));
  }
}
