import type { Context } from 'hono';
import type { ListenLimits } from '../config/types.ts';
import type { Compress } from '../core/compress.ts';
import type { Hmac } from '../core/types.ts';
import type { Digest } from '../policies/types.ts';
import type { TlsLimits } from '../config/backend-tls.ts';
import type { CaBundles, Transport } from '../transport/types.ts';

/** One certificate as a listener serves it. */
export interface LoadedCertificate {
  /** The chain, PEM. */
  cert: string;
  /** The private key, PEM. */
  key: string;
  /** What it is valid for: its subjectAltName DNS names and IP addresses (else its CN), lower case; `*.x` for wildcards. */
  names: string[];
  /** Its serial number (hex), for the log. */
  serial: string;
  /** When it stops being valid. */
  notAfter: Date;
}

/** What a TLS listener serves: its certificates, read at one moment (the first is the default), and its protocols. */
export interface TlsMaterial {
  certificates: LoadedCertificate[];
  /** Whether HTTP/2 is offered by ALPN (`h2`, then `http/1.1`) where the runtime serves it; false: HTTP/1.1 only. */
  http2: boolean;
}

/** A fetch handler as a runtime's server calls it; `env` is that runtime's own (its connection info). */
export type FetchHandler = (request: Request, env: unknown) => Response | Promise<Response>;

/** A listening server: where it listens, and a graceful close (in-flight requests finish). */
export interface Served {
  hostname: string;
  port: number;
  close(): Promise<void>;
  /** Serves new connections with these certificates from now on; open connections keep theirs. Absent where the runtime cannot. */
  reloadTls?(material: TlsMaterial): Promise<void>;
}

/**
 * Serves a handler on a runtime; port 0 picks a free port; `limits` (defaults when absent) bound client connections;
 * with `tls` it serves HTTPS (the first certificate by default, the others by SNI where the runtime can) and the
 * handler sees `https:` request URLs.
 */
export type ServeFn = (handler: FetchHandler, options: { hostname: string; port: number; limits?: ListenLimits; tls?: TlsMaterial }) => Promise<Served>;

/**
 * Everything that differs between the runtimes a balancer process runs on
 * (Node, Bun, Deno): one file each under src/runtime/ provides it, and the
 * process lifecycle (process.ts) runs on it unchanged.
 */
export interface Runtime {
  /** Shown in the start banner, e.g. `Node v20.20.2`. */
  name: string;
  argv: string[];
  env: Record<string, string | undefined>;
  readFile(path: string): Promise<string>;
  serve: ServeFn;
  /** How this runtime reaches backends best; `cas`: the config's CA files (`tls.ca_file`), read at start. */
  transport(cas?: CaBundles): Transport;
  /** The `tls` fields this runtime cannot honour for backends, with why (a config that sets one exits 2); absent: all are honoured. */
  backendTlsLimits?: TlsLimits;
  /** The client's address of a request this runtime served (Hono's connection info for it). */
  clientIp(c: Context): string;
  /** MD5/SHA-1 for `consistent_hash.hash_function`. */
  digest: Digest;
  /** HMAC-SHA-256 for sticky-session tokens. */
  hmac: Hmac;
  /** Compressing streams that flush every chunk, for `compression`. */
  compress: Compress;
  stdout(line: string): void;
  /**
   * Writes a batch of log lines (each ending in a newline) to stdout without blocking; resolves once it is
   * written (or failed), and the process log writes its next batch after that. Absent: `stdout` per line.
   */
  stdoutBatch?(chunk: string): Promise<void>;
  stderr(line: string): void;
  exit(code: number): never;
  /** Calls `handler` on SIGINT and SIGTERM. */
  onStopSignal(handler: (signal: string) => void): void;
  /** Calls `handler` on SIGHUP (installed only when there is something to reload: until then SIGHUP ends the process). */
  onReloadSignal(handler: () => void): void;
}
