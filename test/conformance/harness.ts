/**
 * Starts a real balancer entry as a child process and finds where it listens.
 * Every process started here is stopped by its own PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'node_modules/.bin');

export type RuntimeName = 'node' | 'bun' | 'deno';

/** The command that `npm start` runs (read from package.json so the test tracks it). */
function startCommand(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  return pkg.scripts.start.split(/\s+/);
}

export function commandFor(runtime: RuntimeName): string[] {
  switch (runtime) {
    case 'node':
      return startCommand();
    case 'bun':
      return [join(BIN, 'bun'), 'run', 'src/node.ts'];
    case 'deno':
      return [join(BIN, 'deno'), 'task', '--quiet', 'start'];
  }
}

export interface Running {
  url: string;
  port: number;
  child: ChildProcess;
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Writes `config` as JSON to a temp file and returns its path. */
export function writeConfig(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-'));
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** Spawns the entry with `args`; resolves once it prints where it listens (or rejects with its output). */
export function startEntry(runtime: RuntimeName, args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<Running> {
  const [cmd, ...rest] = commandFor(runtime);
  const child = spawn(cmd, [...rest, ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: `deno task` runs the server as a child of its own, and a SIGKILL of
    // the task alone would leave that server running (holding the test's pipes open).
    detached: true,
  });
  /** SIGKILL ends the whole group we started; other signals go to the entry, which stops its own children. */
  const kill = (signal: NodeJS.Signals) => {
    if (signal !== 'SIGKILL') return void child.kill(signal);
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  };
  let out = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      kill('SIGKILL');
      reject(new Error(`${runtime} did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (https?:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        const url = m[1];
        resolveStart({
          url,
          port: Number(new URL(url).port),
          child,
          output: () => out,
          stop: async (signal = 'SIGTERM') => {
            if (child.exitCode === null && child.signalCode === null) kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${runtime} exited with ${code} before listening:\n${out}`));
    });
  });
}

/** Runs a command to completion and returns its exit code and output. */
export function runToExit(runtime: RuntimeName, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [cmd, ...rest] = commandFor(runtime);
  const child = spawn(cmd, [...rest, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((r) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      r({ code, stdout, stderr });
    }),
  );
}
