/**
 * Every proxy the benchmark measures, in table order, and how each is started. A contender
 * whose program is missing says why (`missing`) and is left out of the run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { installed, listeningUrl, start, stop, type Proc } from './procs.ts';
import { freePort, haproxyConfig, nginxProxyConfig, tempDir } from './servers.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'node_modules/.bin');

export type Runtime = 'nginx' | 'haproxy' | 'bun' | 'node' | 'deno';

export interface Contender {
  /** Short name for `--only` and the JSON (`switchyard-bun-log-off`). */
  id: string;
  /** What the table prints. */
  label: string;
  runtime: Runtime;
  /** Whether it is its runtime's floor (the others on that runtime are compared to it). */
  floor: boolean;
  /** Why it cannot run here, when it cannot. */
  missing?: string;
  /** Starts it over `backends` (origins) on `cpus`; resolves once it listens. */
  start(backends: string[], cpus: string | undefined): Promise<{ proc: Proc; url: string }>;
}

const flags = (backends: string[]) => backends.flatMap((b) => ['--backend', b]);

/** The environment with every setting Switchyard reads from env removed, so its defaults apply. */
function defaultsEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^LB_/.test(name) || ['LOG_LEVEL', 'HEALTH_CHECK_INTERVAL', 'MAX_RETRIES', 'TIMEOUT'].includes(name)) delete env[name];
  }
  return env;
}

/** The command each runtime's entry is run with, read from package.json and deno.json. */
function entryCommand(runtime: 'node' | 'bun' | 'deno'): string[] {
  if (runtime === 'bun') return [join(BIN, 'bun'), 'run', 'src/node.ts'];
  if (runtime === 'node') {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
    const [node, ...rest] = pkg.scripts.start.split(/\s+/);
    return [node === 'node' ? process.execPath : node, ...rest];
  }
  // `deno task start` runs a second deno process under the task runner: run its command directly.
  const deno = JSON.parse(readFileSync(join(ROOT, 'deno.json'), 'utf8')) as { tasks: { start: string } };
  const words = deno.tasks.start.split(/\s+/).filter((w) => w !== 'env');
  return words.map((w) => (w === 'deno' ? join(BIN, 'deno') : w));
}

async function launch(name: string, cmd: string[], cpus: string | undefined, env?: NodeJS.ProcessEnv) {
  const proc = start(name, cmd[0], cmd.slice(1), { cwd: ROOT, cpus, env });
  try {
    return { proc, url: await listeningUrl(proc) };
  } catch (e) {
    await stop(proc);
    throw e;
  }
}

function switchyard(runtime: 'node' | 'bun' | 'deno', logOff: boolean): Contender {
  return {
    id: `switchyard-${runtime}${logOff ? '-log-off' : ''}`,
    label: `Switchyard on ${runtime[0].toUpperCase()}${runtime.slice(1)}${logOff ? ', --access-log off' : ''}`,
    runtime,
    floor: false,
    start: (backends, cpus) =>
      launch(
        `switchyard on ${runtime}`,
        [...entryCommand(runtime), '--host', '127.0.0.1', '--port', '0', ...flags(backends), ...(logOff ? ['--access-log', 'off'] : [])],
        cpus,
        defaultsEnv(),
      ),
  };
}

/** Waits until `url` answers (for servers that print nothing when ready). */
async function answers(proc: Proc, url: string, timeoutMs = 15_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited (${proc.child.exitCode}):\n${proc.tail()}`);
    if (Date.now() > until) {
      await stop(proc);
      throw new Error(`${proc.name} does not answer on ${url} within ${timeoutMs} ms:\n${proc.tail()}`);
    }
    try {
      const res = await fetch(`${url}/health`);
      await res.arrayBuffer();
      return url;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export function contenders(): Contender[] {
  const nginx = installed('nginx');
  const haproxy = installed('haproxy');
  const node = process.execPath;
  const tsx = ['--import', 'tsx'];
  return [
    {
      id: 'nginx',
      label: 'nginx, 1 worker',
      runtime: 'nginx',
      floor: false,
      missing: nginx ? undefined : 'nginx is not installed (Debian package nginx)',
      async start(backends, cpus) {
        const dir = tempDir('switchyard-bench-nginx-');
        const port = await freePort();
        writeFileSync(join(dir, 'nginx.conf'), nginxProxyConfig(dir, port, backends));
        const proc = start('nginx proxy', nginx!, ['-e', 'stderr', '-p', dir, '-c', join(dir, 'nginx.conf')], { cpus });
        return { proc, url: await answers(proc, `http://127.0.0.1:${port}`) };
      },
    },
    {
      id: 'haproxy',
      label: 'HAProxy, 1 thread',
      runtime: 'haproxy',
      floor: false,
      missing: haproxy ? undefined : 'haproxy is not installed (Debian package haproxy)',
      async start(backends, cpus) {
        const dir = tempDir('switchyard-bench-haproxy-');
        const port = await freePort();
        writeFileSync(join(dir, 'haproxy.cfg'), haproxyConfig(port, backends));
        const proc = start('haproxy', haproxy!, ['-db', '-f', join(dir, 'haproxy.cfg')], { cpus });
        return { proc, url: await answers(proc, `http://127.0.0.1:${port}`) };
      },
    },
    {
      id: 'bun-floor',
      label: 'floor: Bun.serve + fetch',
      runtime: 'bun',
      floor: true,
      start: (b, cpus) => launch('bun floor', [join(BIN, 'bun'), 'bench/floors/bun.ts', '--port', '0', ...flags(b)], cpus),
    },
    switchyard('bun', false),
    switchyard('bun', true),
    {
      id: 'node-floor',
      label: 'floor: node:http + undici.Pool.stream',
      runtime: 'node',
      floor: true,
      start: (b, cpus) => launch('node floor', [node, ...tsx, 'bench/floors/node.ts', '--port', '0', ...flags(b)], cpus),
    },
    {
      id: 'fastify',
      label: 'fastify + @fastify/reply-from',
      runtime: 'node',
      floor: false,
      start: (b, cpus) => launch('fastify', [node, ...tsx, 'bench/peers/fastify.ts', '--port', '0', ...flags(b)], cpus),
    },
    switchyard('node', false),
    switchyard('node', true),
    {
      id: 'deno-floor',
      label: 'floor: Deno.serve + fetch',
      runtime: 'deno',
      floor: true,
      start: (b, cpus) => launch('deno floor', [join(BIN, 'deno'), 'run', '--allow-net', '--allow-env', 'bench/floors/deno.ts', '--port', '0', ...flags(b)], cpus),
    },
    switchyard('deno', false),
    switchyard('deno', true),
  ];
}
