/**
 * Entry for Deno: `deno task start`. Serves the shared app with `Deno.serve`
 * and reaches backends with Deno's fetch.
 */
import { ENV_VARS } from './config/load.ts';
import { runBalancer } from './run.ts';
import type { FetchHandler, Served } from './serving.ts';
import { fetchTransport } from './transport/fetch.ts';
import { nodeDigest } from './digest.ts';

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
  serve(
    options: { hostname: string; port: number; onListen?: (addr: { port: number }) => void },
    handler: (req: Request, info: { remoteAddr: { hostname: string } }) => Response | Promise<Response>,
  ): DenoServer;
}
const Deno = (globalThis as unknown as { Deno: DenoApi }).Deno;

function serve(handler: FetchHandler, options: { hostname: string; port: number }): Promise<Served> {
  return new Promise((resolve, reject) => {
    try {
      const server = Deno.serve(
        { hostname: options.hostname, port: options.port, onListen: () => {} },
        (req, info) => handler(req, { clientIp: info.remoteAddr.hostname }),
      );
      resolve({ hostname: options.hostname, port: server.addr.port, close: () => server.shutdown() });
    } catch (e) {
      reject(e);
    }
  });
}

const encoder = new TextEncoder();
const out = (line: string) => void (globalThis as unknown as { Deno: { stdout: { writeSync(b: Uint8Array): number } } }).Deno.stdout.writeSync(encoder.encode(`${line}\n`));
const err = (line: string) => void (globalThis as unknown as { Deno: { stderr: { writeSync(b: Uint8Array): number } } }).Deno.stderr.writeSync(encoder.encode(`${line}\n`));

await runBalancer({
  argv: Deno.args,
  env: Object.fromEntries(ENV_VARS.map((name) => [name, Deno.env.get(name)])),
  readFile: (path) => Deno.readTextFile(path),
  serve,
  // Deno's fetch always decodes gzip/br bodies: the core then drops the encoding headers.
  transport: fetchTransport({ decodesBodies: true }),
  digest: nodeDigest,
  runtime: `Deno ${Deno.version.deno}`,
  stdout: out,
  stderr: err,
  exit: (code) => Deno.exit(code),
  onStopSignal: (handler) => {
    Deno.addSignalListener('SIGINT', () => handler('SIGINT'));
    Deno.addSignalListener('SIGTERM', () => handler('SIGTERM'));
  },
});
