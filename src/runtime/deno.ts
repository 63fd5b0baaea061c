/** Deno: served by Deno.serve, backends reached through Deno's fetch. */
import { getConnInfo } from 'hono/deno';
import { ENV_VARS } from '../config/load.ts';
import { fetchTransport } from '../transport/fetch.ts';
import { nodeDigest, nodeHmac } from './hashes.ts';
import type { Runtime, ServeFn } from './types.ts';

interface DenoServer {
  addr: { hostname: string; port: number };
  shutdown(): Promise<void>;
}
interface DenoApi {
  args: string[];
  version: { deno: string };
  env: { get(name: string): string | undefined };
  readTextFile(path: string): Promise<string>;
  exit(code: number): never;
  addSignalListener(signal: string, handler: () => void): void;
  stdout: { writeSync(b: Uint8Array): number };
  stderr: { writeSync(b: Uint8Array): number };
  serve(options: { hostname: string; port: number; onListen?: (addr: { port: number }) => void }, handler: (req: Request, info: unknown) => Response | Promise<Response>): DenoServer;
}
const Deno = (globalThis as unknown as { Deno: DenoApi }).Deno;
const encoder = new TextEncoder();

/** Serves `handler` with Deno.serve; its env is Deno's serve info (`remoteAddr`, as Hono's getConnInfo expects). Port 0 picks a free port. */
export const serve: ServeFn = async (handler, options) => {
  const server = Deno.serve({ hostname: options.hostname, port: options.port, onListen: () => {} }, (req, info) => handler(req, info));
  return { hostname: options.hostname, port: server.addr.port, close: () => server.shutdown() };
};

export const runtime: Runtime = {
  name: `Deno ${Deno.version.deno}`,
  argv: Deno.args,
  // Only the variables the config reads: deno.json grants exactly those.
  env: Object.fromEntries(ENV_VARS.map((name) => [name, Deno.env.get(name)])),
  readFile: (path) => Deno.readTextFile(path),
  serve,
  // Deno's fetch always decodes gzip/br bodies: the core then drops the encoding headers.
  transport: () => fetchTransport({ decodesBodies: true }),
  clientIp: (c) => getConnInfo(c).remote.address ?? '',
  digest: nodeDigest,
  hmac: nodeHmac,
  stdout: (line) => void Deno.stdout.writeSync(encoder.encode(`${line}\n`)),
  stderr: (line) => void Deno.stderr.writeSync(encoder.encode(`${line}\n`)),
  exit: (code) => Deno.exit(code),
  onStopSignal: (handler) => {
    Deno.addSignalListener('SIGINT', () => handler('SIGINT'));
    Deno.addSignalListener('SIGTERM', () => handler('SIGTERM'));
  },
};
