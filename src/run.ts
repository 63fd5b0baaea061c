/**
 * The long-running balancer process, shared by the Node/Bun and Deno entries:
 * config → (demo backends) → app → server → health timer → graceful stop.
 * Everything runtime-specific arrives injected.
 */
import { createApp } from './app.ts';
import { loadConfigOrExit } from './cli.ts';
import { createLogger } from './core/log.ts';
import { tickPeriodMs } from './health/round.ts';
import { startDemoBackends } from './demo/start.ts';
import type { ConnEnv, ServeFn, Served } from './serving.ts';
import { createStore, StoreUnavailableError } from './storage/registry.ts';
import type { StateStore } from './storage/types.ts';
import type { Transport } from './transport/types.ts';
import type { Digest } from './policies/types.ts';

export interface RunDeps {
  argv: string[];
  env: Record<string, string | undefined>;
  readFile(path: string): Promise<string>;
  serve: ServeFn;
  transport: Transport;
  /** MD5/SHA-1 for `consistent_hash.hash_function`. */
  digest: Digest;
  /** Shown in the start banner, e.g. `Node v20.20.2`. */
  runtime: string;
  stdout(line: string): void;
  stderr(line: string): void;
  exit(code: number): never;
  /** Calls `handler` on SIGINT and SIGTERM. */
  onStopSignal(handler: (signal: string) => void): void;
}

export async function runBalancer(d: RunDeps): Promise<void> {
  const loaded = await loadConfigOrExit(d.argv, d.env, d.readFile, d.stderr, d.exit, d.stdout);
  const config = loaded.config;
  const log = createLogger(config.logLevel, d.stdout);
  const demo = loaded.demo ? await startDemoBackends(config.host, d.serve) : undefined;
  if (demo) config.servers = demo.servers;

  let store: StateStore;
  try {
    store = createStore(config.storage);
  } catch (e) {
    if (!(e instanceof StoreUnavailableError)) throw e;
    // The same config file serves the edge too: here, state lives in this process.
    log.warn(`${e.message}; this process keeps its state in memory`);
    store = createStore('memory');
  }
  const { app, balancer } = createApp({ config, store, transport: d.transport, digest: d.digest, log, clientIp: (c) => (c.env as ConnEnv).clientIp });

  let server: Served;
  try {
    server = await d.serve((req, env) => app.fetch(req, env), { hostname: config.host, port: config.port });
  } catch (e) {
    d.stderr(`cannot listen on ${config.host}:${config.port}: ${(e as Error).message}`);
    await demo?.close();
    return d.exit(1);
  }
  const base = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${server.port}`;
  d.stdout(
    [
      `switchyard listening on ${base} (${d.runtime}, ${config.algorithm}, ${config.servers.length} server(s))`,
      `  dashboard: ${base}${config.admin.prefix}/dashboard`,
      `  stats:     ${base}${config.admin.prefix}/stats`,
      `  metrics:   ${base}${config.admin.prefix}/metrics`,
      `  health:    ${base}/health`,
      ...config.servers.map((s) => `  backend:   ${s.url}${s.name ? ` (${s.name})` : ''}${demo ? ' [demo]' : ''}`),
    ].join('\n'),
  );

  let ticking = false;
  const runTick = async () => {
    if (ticking) return;
    ticking = true;
    try {
      await balancer.tick();
    } catch (e) {
      log.error('health round failed', { error: String(e) });
    } finally {
      ticking = false;
    }
  };
  const timer = config.healthCheck.enabled ? setInterval(runTick, tickPeriodMs(config.healthCheck)) : undefined;
  if (timer) void runTick();

  let stopping = false;
  d.onStopSignal(async (signal) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping: finishing in-flight requests', { signal });
    if (timer) clearInterval(timer);
    const force = setTimeout(() => d.exit(0), 10_000);
    (force as { unref?: () => void }).unref?.();
    await server.close();
    await d.transport.close?.();
    await demo?.close();
    d.exit(0);
  });
}
