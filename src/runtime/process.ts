/**
 * The long-running balancer process, shared by the Node, Bun and Deno entries:
 * config → (demo backends) → app → server → health timer → graceful stop.
 * Everything runtime-specific arrives in `Runtime`.
 */
import { createApp } from '../app.ts';
import { createLogger, createLogSink } from '../core/log.ts';
import { startDemoBackends } from '../demo/start.ts';
import { startHealthTimer } from '../health/timer.ts';
import { createStore, StoreUnavailableError } from '../storage/registry.ts';
import type { StateStore } from '../storage/types.ts';
import { backendCasOrExit } from './backend-tls.ts';
import { loadConfigOrExit } from './config.ts';
import { dashboardFromFile, docsFromFile, openApiFromFile } from './dashboard.ts';
import type { Config } from '../config/types.ts';
import { hstsValue, httpsRedirect, loadTls, withHsts, type TlsMaterial } from './tls.ts';
import type { FetchHandler, Runtime, Served } from './types.ts';

export async function runBalancer(d: Runtime): Promise<void> {
  const loaded = await loadConfigOrExit(d.argv, d.env, d.readFile, d.stderr, d.exit, d.stdout);
  const config = loaded.config;
  // Log lines go out in batches, once per event-loop turn, bounded while stdout's reader is slow.
  const sink = createLogSink({ write: d.stdoutBatch ?? ((chunk) => d.stdout(chunk.slice(0, -1))), schedule: nextTurn });
  const log = createLogger(config.logLevel, sink);
  const material = config.tls ? await certificatesOrExit(config, d, log) : undefined;
  const cas = await backendCasOrExit(config, d, (line) => log.warn(line));
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
  const transport = d.transport(cas);
  const { app, balancer } = createApp({ config, store, transport, digest: d.digest, hmac: d.hmac, compress: d.compress, log, clientIp: d.clientIp, dashboard: dashboardFromFile(d.readFile), openApi: openApiFromFile(d.readFile), docs: docsFromFile(d.readFile) });

  let server: Served;
  let redirect: Served | undefined;
  const appFetch: FetchHandler = (req, env) => app.fetch(req, env);
  const handler = config.tls?.hsts ? withHsts(appFetch, hstsValue(config.tls.hsts)) : appFetch;
  const redirectPort = config.tls?.redirectHttpPort;
  try {
    server = await d.serve(handler, { hostname: config.host, port: config.port, limits: config.listen, tls: material });
  } catch (e) {
    await sink.flush();
    d.stderr(`cannot listen on ${config.host}:${config.port}: ${(e as Error).message}`);
    await demo?.close();
    return d.exit(1);
  }
  if (redirectPort) {
    try {
      redirect = await d.serve(httpsRedirect(server.port, config.host), { hostname: config.host, port: redirectPort, limits: config.listen });
    } catch (e) {
      await sink.flush();
      d.stderr(`cannot listen on ${config.host}:${redirectPort} (load_balancer.ssl.redirect_http_port): ${(e as Error).message}`);
      await server.close();
      await demo?.close();
      return d.exit(1);
    }
  }
  const hostInUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  const base = `${material ? 'https' : 'http'}://${hostInUrl}:${server.port}`;
  sink.write(
    [
      `switchyard listening on ${base} (${d.name}, ${summary(config)})`,
      `  dashboard: ${base}${config.admin.prefix}/dashboard`,
      `  stats:     ${base}${config.admin.prefix}/stats`,
      `  metrics:   ${base}${config.admin.prefix}/metrics`,
      `  health:    ${base}/health`,
      ...(redirect ? [`  redirect:  http://${hostInUrl}:${redirect.port} → ${base}`] : []),
      ...config.servers.map((s) => `  backend:   ${s.url}${s.name ? ` (${s.name})` : ''}${demo ? ' [demo]' : ''}`),
      ...config.services.flatMap((svc) => svc.servers.map((s) => `  backend:   ${s.url}${s.name ? ` (${s.name})` : ''} [${svc.name}]`)),
    ].join('\n'),
    false,
  );

  // Health rounds, each when the earliest check is due (services added at run time included).
  let stopping = false;
  const timer = startHealthTimer(balancer, {
    now: Date.now,
    setTimeout: (run, ms) => setTimeout(run, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    onError: (e) => log.error('health round failed', { error: String(e) }),
  });
  if (config.tls) onReload(config, d, log, server);
  d.onStopSignal(async (signal) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping: finishing in-flight requests', { signal });
    timer.stop();
    // Open WebSockets would hold the listener's close open until the forced exit: they are told 1001 (going away) now.
    for (const svc of balancer.services.values()) svc.close();
    // After 10 s: out, with what is logged written (1 s more at most).
    const force = setTimeout(() => {
      unref(setTimeout(() => d.exit(0), 1_000));
      void sink.flush().then(() => d.exit(0));
    }, 10_000);
    unref(force);
    await Promise.all([server.close(), redirect?.close()]);
    await transport.close?.();
    await demo?.close();
    await sink.flush();
    d.exit(0);
  });
}

type Log = ReturnType<typeof createLogger>;

const unref = (timer: unknown) => (timer as { unref?: () => void }).unref?.();

/** Runs `run` after the current event-loop turn (every runtime this process runs on has `setImmediate`). */
const nextTurn = (run: () => void): void => void (typeof setImmediate === 'function' ? setImmediate(run) : setTimeout(run, 0));

/** The listener's certificates, read and checked; a missing, unreadable or mismatched file ends the process (2), naming it. */
async function certificatesOrExit(config: Config, d: Runtime, log: Log): Promise<TlsMaterial> {
  const loaded = await loadTls(config.tls!, d.readFile, new Date());
  if (!loaded.ok) {
    for (const line of loaded.errors) d.stderr(line);
    return d.exit(2);
  }
  for (const line of loaded.warnings) log.warn(line);
  return loaded.material;
}

/**
 * SIGHUP reads the certificates again and serves new connections with them; open connections keep theirs.
 * Files that fail the start checks are refused (logged) and the running certificates stay.
 */
function onReload(config: Config, d: Runtime, log: Log, server: Served): void {
  let queue = Promise.resolve();
  const reload = async () => {
    if (!server.reloadTls) return log.warn('SIGHUP: this runtime cannot swap certificates on a running listener; restart to serve new ones');
    const loaded = await loadTls(config.tls!, d.readFile, new Date());
    if (!loaded.ok) return log.error('SIGHUP: certificates not reloaded; the running ones stay', { errors: loaded.errors });
    for (const line of loaded.warnings) log.warn(line);
    await server.reloadTls(loaded.material);
    log.info('certificates reloaded', { serials: loaded.material.certificates.map((c) => c.serial) });
  };
  d.onReloadSignal(() => {
    queue = queue.then(reload).catch((e) => log.error('SIGHUP: certificates not reloaded; the running ones stay', { error: String(e) }));
  });
}

/** The banner's summary: the algorithm and servers, or the services and routes. */
function summary(config: Config): string {
  if (!config.services.length && !config.routes.length) return `${config.algorithm}, ${config.servers.length} server(s)`;
  const services = (config.defaultService ? 1 : 0) + config.services.length;
  const servers = config.servers.length + config.services.reduce((n, s) => n + s.servers.length, 0);
  return `${services} service(s), ${servers} server(s), ${config.routes.length} route(s)`;
}
