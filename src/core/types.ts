import type { BackendTls } from '../config/backend-tls.ts';
import type { RouteConfig } from '../routing/route-config.ts';

/**
 * The vocabulary of the balancing core. Everything here is plain data or
 * web-standard types, so every runtime (Node, Bun, Deno, Workers) shares it.
 */

/** One upstream server as the core sees it. Immutable: a change makes a new object. */
export interface Backend {
  /** Stable key, `"host:port"`; the name used in stats, the API and `X-Served-By`. */
  readonly id: string;
  /** Origin plus optional base path, no trailing slash: `http://127.0.0.1:8001`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Human label (seed 000's "Backend Server 1"); defaults to `id`. */
  readonly name: string;
  /** Relative share of traffic, > 0. */
  readonly weight: number;
  /** Backup servers take traffic only while no primary is available. */
  readonly backup: boolean;
  /** Most requests in flight to it at once; 0: no cap. */
  readonly maxConns: number;
  /** How its certificate is checked, for an `https://` URL whose pool sets `tls`; absent: the runtime's default trust store, for its host. */
  readonly tls?: BackendTls;
}

/** Health of one backend as decided by the checks (active and passive). */
export type HealthStatus = 'healthy' | 'unhealthy';

/** Status an operator sees: health, or `draining` when an admin drained it. */
export type ServerStatus = HealthStatus | 'draining';

/** Result of one active probe. */
export interface ProbeResult {
  ok: boolean;
  /** HTTP status when one arrived. */
  status?: number;
  latencyMs: number;
  error?: string;
}

/** The last check as shown in `/api/stats` (`last_check`). */
export interface LastCheck {
  at: number;
  ok: boolean;
  status?: number;
  latency_ms: number;
  error?: string;
}

/** Per-backend health record, the unit of the `health` document. */
export interface HealthRecord {
  status: HealthStatus;
  /** Epoch ms of the last status change. */
  since: number;
  consecutive_failures: number;
  consecutive_successes: number;
  last_check?: LastCheck;
  /** Why it last changed (`check failed: connect`, `passive: connect refused`). */
  reason?: string;
  /** Epoch ms when the next active check is due. */
  next_check_at?: number;
}

/** The health of one service's servers by id, as one round leaves it. */
export interface HealthMap {
  updated_at: number;
  servers: Record<string, HealthRecord>;
}

/** The whole health document: every service's servers by id, written at once by one writer (the tick). */
export interface HealthDocument {
  updated_at: number;
  services: Record<string, Record<string, HealthRecord>>;
}

/** One service as stored: its servers, and what made it. */
export interface ServiceSpec {
  servers: BackendSpec[];
  /** `config`: the config file's (settings from there); `api`: PUT /api/services (settings here); `registration`: seed 003's register. */
  origin: 'config' | 'api' | 'registration';
  /** The service's own settings as given to the API (its schema's input; servers aside), for `origin: api`. */
  settings?: Record<string, unknown>;
  /** Percent of new requests shed, set at run time (`PATCH /api/services/NAME`); absent: the settings' `shed_percent`. */
  shed_percent?: number;
  /** Seed 003's registration: the image's name and its containers as registered. */
  registration?: { image_name: string | null; containers: RegisteredContainer[] };
}

/** A container as seed 003's orchestrator registers it. */
export interface RegisteredContainer {
  container_id: string;
  name: string;
  port: number;
  image_id: string;
  status: string;
  host: string;
}

/** The services, their servers and the routes as they stand, changed by the admin API: the `services` document. */
export interface ServicesDocument {
  /** Bumped on every change so readers can tell a new version from a cached one. */
  version: number;
  updated_at: number;
  services: Record<string, ServiceSpec>;
  routes: RouteConfig[];
  /** The latest writes this document comes from, oldest first: how a writer tells its write was overwritten. */
  writes?: WriteMark[];
}

/** One write of the services document: the version it made and a random id of that write. */
export interface WriteMark {
  version: number;
  id: string;
}

/** A backend as stored and accepted by the API: enough to rebuild a `Backend`. */
export interface BackendSpec {
  url: string;
  name?: string;
  weight: number;
  backup: boolean;
  /** Most requests in flight to it at once (absent or 0: no cap). */
  max_conns?: number;
  /** Admin-set drain: no new requests, in-flight ones finish. */
  drain?: boolean;
  /** Epoch ms when drain was set. */
  drained_at?: number;
}

/**
 * Something that changed a server's place in rotation, as `/api/stats` lists
 * it (`events`): a health status change (active check or passive mark), an
 * ejection, a circuit state change, or an admin change.
 */
export interface BalancerEvent {
  kind: 'health' | 'ejection' | 'circuit' | 'admin';
  service: string;
  /** The server's `host:port`, or `*` for a change to a whole service or the routes. */
  server: string;
  from: string;
  to: string;
  reason: string;
  /** Epoch ms. */
  at: number;
}

/** Why an attempt at a backend failed. */
export type UpstreamErrorKind = 'connect' | 'timeout' | 'reset' | 'protocol';

/** Raised by a transport; never retried inside the transport. */
export class UpstreamError extends Error {
  readonly kind: UpstreamErrorKind;
  constructor(kind: UpstreamErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UpstreamError';
    this.kind = kind;
  }
}

/** HMAC-SHA-256 of `text`'s UTF-8 bytes under `key`, supplied by the runtime's entry (sync: no await per request). */
export type Hmac = (key: string, text: string) => Uint8Array;

/** What differs per request and comes from the runtime, not the Request itself. */
export interface RequestInfo {
  /** The peer address of the TCP connection (or `CF-Connecting-IP` at the edge). */
  clientIp: string;
  /** `waitUntil` where the runtime has one (Workers). */
  waitUntil?: (p: Promise<unknown>) => void;
  /**
   * Called once when the balancer is done with the request: its response body
   * sent, failed or cancelled, or its own answer given. Limits that hold a
   * place while a request is in progress release it here.
   */
  settled?: () => void;
}
