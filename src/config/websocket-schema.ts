/**
 * WebSocket settings of a pool (`websocket` in the config, a service's own or
 * inherited field by field): how long a drained or removed server's sockets
 * may stay, how their closes are spread, when an idle socket is closed, and
 * the largest message a relaying runtime passes on.
 */
import * as v from 'valibot';
import { bytes, duration, section } from './fields.ts';

/** The pool setting `websocket`, spread into the pool schema. */
export const websocketPoolEntries = {
  websocket: v.optional(
    section({
      drain_timeout: v.optional(duration),
      drain_spread: v.optional(duration),
      idle_timeout: v.optional(duration),
      max_message_bytes: v.optional(v.pipe(bytes, v.minValue(1, 'must be at least 1 byte'))),
    }),
  ),
};

type WebSocketInput = NonNullable<v.InferOutput<(typeof websocketPoolEntries)['websocket']>>;

/** A pool's WebSocket settings, milliseconds and bytes. */
export interface WebSocketSettings {
  /** How long a draining (or removed) server's open sockets may stay before they are closed with 1001. */
  drainTimeoutMs: number;
  /** Those closes are spread evenly at random over this long after `drainTimeoutMs`, so clients do not all reconnect at once. */
  drainSpreadMs: number;
  /** A socket with no frame either way for this long is closed with 1001; 0: never. */
  idleTimeoutMs: number;
  /** Largest message a relaying runtime (Bun, Deno) passes on; a larger one closes the socket with 1009. */
  maxMessageBytes: number;
}

/** Defaults: a drained server's sockets get a minute to end on their own (a rollout waits no longer), then go over 10 s; an hour of silence closes a socket (HAProxy's usual `timeout tunnel 1h`); 16 MiB messages (Bun's own default). */
export const WEBSOCKET_DEFAULTS: WebSocketSettings = { drainTimeoutMs: 60_000, drainSpreadMs: 10_000, idleTimeoutMs: 3_600_000, maxMessageBytes: 16 * 1024 * 1024 };

/** The settings of a validated `websocket` section (absent: the defaults). */
export function websocketSettings(w: WebSocketInput | undefined): WebSocketSettings {
  const d = WEBSOCKET_DEFAULTS;
  return {
    drainTimeoutMs: w?.drain_timeout ?? d.drainTimeoutMs,
    drainSpreadMs: w?.drain_spread ?? d.drainSpreadMs,
    idleTimeoutMs: w?.idle_timeout ?? d.idleTimeoutMs,
    maxMessageBytes: w?.max_message_bytes ?? d.maxMessageBytes,
  };
}
