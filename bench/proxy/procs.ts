/**
 * Processes the benchmark starts: spawned in their own process group, optionally pinned to a CPU
 * with taskset, measured through /proc (CPU time and peak RSS of the whole process tree), and
 * stopped by PID: SIGTERM, then SIGKILL for the process and every descendant still alive.
 * Every process started here is listed in `started` until it has been stopped.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export interface Proc {
  name: string;
  pid: number;
  child: ChildProcess;
  /** The last 4 KiB of its output (stdout and stderr); everything else is read and dropped. */
  tail(): string;
  exited: Promise<number | null>;
}

const started = new Set<Proc>();

/** Linux clock ticks per second (utime/stime units in /proc/PID/stat). */
let clockTicks = 100;
try {
  clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  /* 100 is every Linux build's value */
}

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat('/usr/sbin', '/sbin')) {
    if (dir && existsSync(`${dir}/${cmd}`)) return `${dir}/${cmd}`;
  }
  return undefined;
}

/** The path of an installed program, or undefined. */
export const installed = which;

/** The CPUs this process may run on (Cpus_allowed_list), e.g. [0, 1]. */
export function allowedCpus(): number[] {
  try {
    const list = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
    return list.split(',').flatMap((part) => {
      const [a, b = a] = part.split('-').map(Number);
      return Array.from({ length: b - a + 1 }, (_, i) => a + i);
    });
  } catch {
    return [];
  }
}

export interface Pinning {
  /** CPU list for the proxy under test (taskset -c), or undefined when not pinned. */
  proxy?: string;
  /** CPU list for everything else: this process, the load generator, the backends. */
  rest?: string;
  note: string;
}

/** The proxy alone on the last allowed CPU, the rest on the others; pins this process to the rest. */
export function pin(): Pinning {
  const cpus = allowedCpus();
  if (!which('taskset')) return { note: 'not pinned: taskset is not installed' };
  if (cpus.length < 2) return { note: `not pinned: ${cpus.length} CPU allowed` };
  const proxy = String(cpus[cpus.length - 1]);
  const rest = cpus.slice(0, -1).join(',');
  execFileSync('taskset', ['-pc', rest, String(process.pid)], { stdio: 'ignore' });
  return { proxy, rest, note: `proxy on CPU ${proxy}; load generator, backends and this process on CPU ${rest}` };
}

/** Starts `cmd args` (under `taskset -c cpus` when given); `env` replaces the environment. */
export function start(name: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cpus?: string; cwd?: string } = {}): Proc {
  const [file, argv] = opts.cpus ? ['taskset', ['-c', opts.cpus, cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-4096);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.once('error', (e) => keep(Buffer.from(`\n${name}: ${e.message}\n`)));
  if (child.pid === undefined) throw new Error(`${name}: could not start ${cmd}`);
  const proc: Proc = { name, pid: child.pid, child, tail: () => out, exited };
  started.add(proc);
  void exited.then(() => started.delete(proc));
  return proc;
}

/** Resolves with the first `listening on http://…` URL the process prints; rejects on exit or timeout. */
export function listeningUrl(proc: Proc, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer) => {
      seen = (seen + d.toString()).slice(-4096);
      const m = /listening on (http:\/\/[^\s)]+)/.exec(seen);
      if (m) done(() => resolve(m[1]));
    };
    const timer = setTimeout(() => done(() => reject(new Error(`${proc.name} did not print where it listens within ${timeoutMs} ms:\n${proc.tail()}`))), timeoutMs);
    const onExit = (code: number | null) => done(() => reject(new Error(`${proc.name} exited (${code}) before listening:\n${proc.tail()}`)));
    function done(then: () => void) {
      clearTimeout(timer);
      proc.child.stdout!.off('data', onData);
      proc.child.stderr!.off('data', onData);
      proc.child.off('exit', onExit);
      then();
    }
    proc.child.stdout!.on('data', onData);
    proc.child.stderr!.on('data', onData);
    proc.child.once('exit', onExit);
  });
}

function children(): Map<number, number[]> {
  const byParent = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      byParent.set(ppid, [...(byParent.get(ppid) ?? []), Number(entry)]);
    } catch {
      /* exited while we looked */
    }
  }
  return byParent;
}

/** `pid` and every descendant alive now. */
export function tree(pid: number): number[] {
  const byParent = children();
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    out.push(p);
    queue.push(...(byParent.get(p) ?? []));
  }
  return out;
}

/** CPU time (user + system, µs) used so far by the process tree, children already reaped included. */
export function cpuMicros(pid: number): number {
  let ticks = 0;
  for (const p of tree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14-17 (utime stime cutime cstime) are f[11..14] after the comm field.
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      /* exited */
    }
  }
  return (ticks * 1e6) / clockTicks;
}

/** The tree's peak resident memory in bytes: the sum of each live process's VmHWM. */
export function peakRssBytes(pid: number): number {
  let kib = 0;
  for (const p of tree(pid)) {
    try {
      kib += Number(/VmHWM:\s*(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      /* exited */
    }
  }
  return kib * 1024;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** SIGTERM, then after `graceMs` SIGKILL to it and to each descendant found before or after. */
export async function stop(proc: Proc, graceMs = 5_000): Promise<void> {
  if (!started.has(proc)) return;
  const before = tree(proc.pid);
  signal(proc.pid, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([proc.exited, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
  clearTimeout(timer);
  for (const p of new Set([...before, ...(started.has(proc) ? tree(proc.pid) : [])])) {
    if (p === proc.pid && !started.has(proc)) continue;
    if (p !== proc.pid && !existsSync(`/proc/${p}`)) continue;
    signal(p, 'SIGKILL');
  }
  started.delete(proc);
}

/** Stops everything still running, in reverse start order. */
export async function stopAll(): Promise<void> {
  for (const proc of [...started].reverse()) await stop(proc);
}

/** Last resort on exit: SIGKILL by PID whatever is still listed (synchronous). */
export function killAllNow(): void {
  for (const proc of started) for (const p of tree(proc.pid)) signal(p, 'SIGKILL');
  started.clear();
}
