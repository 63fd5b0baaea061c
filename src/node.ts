/**
 * Entry for Node and Bun: `npm start` (Node), `bun run src/node.ts` (Bun, served by Bun.serve).
 * Injects what differs by runtime: the transport, the server, files, signals.
 */
import { readFile } from 'node:fs/promises';
import process from 'node:process';
import { nodeDigest } from './digest.ts';
import { runBalancer } from './run.ts';
import { serveFetch } from './serve.ts';
import { fetchTransport } from './transport/fetch.ts';
import type { Transport } from './transport/types.ts';

const bun = (globalThis as { Bun?: { version: string } }).Bun;

async function transport(): Promise<Transport> {
  // Bun's fetch passes encoded bodies through when asked; Node's fast path is undici.
  if (bun) return fetchTransport({ decodesBodies: false, init: { decompress: false } });
  const { undiciTransport } = await import('./transport/undici.ts');
  return undiciTransport();
}

await runBalancer({
  argv: process.argv.slice(2),
  env: process.env,
  readFile: (path) => readFile(path, 'utf8'),
  serve: serveFetch,
  transport: await transport(),
  digest: nodeDigest,
  runtime: bun ? `Bun ${bun.version}` : `Node ${process.version}`,
  stdout: (line) => void process.stdout.write(`${line}\n`),
  stderr: (line) => void process.stderr.write(`${line}\n`),
  exit: (code) => process.exit(code),
  onStopSignal: (handler) => {
    process.on('SIGINT', () => handler('SIGINT'));
    process.on('SIGTERM', () => handler('SIGTERM'));
  },
});
