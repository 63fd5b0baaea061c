/** The process facts Node and Bun share (both speak node:process and node:fs). */
import { readFile } from 'node:fs/promises';
import process from 'node:process';
import type { Runtime } from './types.ts';

export const nodeProcess: Pick<Runtime, 'argv' | 'env' | 'readFile' | 'stdout' | 'stdoutBatch' | 'stderr' | 'exit' | 'onStopSignal' | 'onReloadSignal'> = {
  argv: process.argv.slice(2),
  env: process.env,
  readFile: (path) => readFile(path, 'utf8'),
  stdout: (line) => void process.stdout.write(`${line}\n`),
  // The callback runs once the stream has handed the bytes on (a pipe's slow reader delays it).
  stdoutBatch: (chunk) => new Promise<void>((resolve) => void process.stdout.write(chunk, () => resolve())),
  stderr: (line) => void process.stderr.write(`${line}\n`),
  exit: (code) => process.exit(code),
  onStopSignal: (handler) => {
    process.on('SIGINT', () => handler('SIGINT'));
    process.on('SIGTERM', () => handler('SIGTERM'));
  },
  onReloadSignal: (handler) => void process.on('SIGHUP', handler),
};
