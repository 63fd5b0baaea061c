/** What every entry hands a served app as its env: the connection facts the core needs. */
export interface ConnEnv {
  clientIp: string;
}

export type FetchHandler = (request: Request, env: ConnEnv) => Response | Promise<Response>;

/** A listening server: where it listens, and a graceful close (in-flight requests finish). */
export interface Served {
  hostname: string;
  port: number;
  close(): Promise<void>;
}

/** Serves a handler on a runtime; port 0 picks a free port. */
export type ServeFn = (handler: FetchHandler, options: { hostname: string; port: number }) => Promise<Served>;
