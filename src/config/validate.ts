import * as v from 'valibot';
import { problemLine, problemsOf, type InputProblem } from './issues.ts';
import { jsonErrorText, parseJson } from './json.ts';
import { poolSettings, resolveService } from './pool.ts';
import { normaliseRoutes, routeProblems } from './routes.ts';
import { FileSchema, type FileOutput, type ServiceInput } from './schema.ts';
import { serverAddress, serverSpec } from './server.ts';
import { DEFAULT_SERVICE } from './service-name.ts';
import { limitNameProblems, trafficLimits } from './traffic-schema.ts';
import { tlsSettings } from './tls-schema.ts';
import type { Config, ListenLimits, ServerConfig } from './types.ts';

/**
 * Parses config file text: the object, or one line naming `label`, line and
 * column for JSON that `parseJson` refuses (a syntax error, a duplicate key,
 * a number out of range, too deep), or saying the top level must be an object.
 */
export function parseConfigText(label: string, text: string): { ok: true; raw: Record<string, unknown> } | { ok: false; error: string } {
  const parsed = parseJson(text);
  if (!parsed.ok) return { ok: false, error: `${label}:${parsed.error.line}:${parsed.error.column}: ${jsonErrorText(parsed.error)}` };
  if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) return { ok: false, error: `${label}: must be a JSON object` };
  return { ok: true, raw: parsed.value as Record<string, unknown> };
}

/**
 * Validates a raw config object with the one schema, fills defaults, resolves
 * each service's settings over the top level's, and checks what the schema
 * cannot see alone: servers listed twice in a service, routes naming services
 * that do not exist. Each problem is one line prefixed with `sourceOf(path)`
 * (where the value came from). Never throws on input.
 */
export function validateConfig(raw: unknown, sourceOf: (path: string) => string): { ok: true; config: Config } | { ok: false; errors: string[] } {
  const result = v.safeParse(FileSchema, raw);
  const line = (p: InputProblem) => `${sourceOf(p.path)}: ${problemLine(p)}`;
  if (!result.success) return { ok: false, errors: problemsOf(result.issues).map(line) };
  const f = result.output;
  const problems: InputProblem[] = [];
  if (f.services && DEFAULT_SERVICE in f.services) {
    problems.push({ path: `services.${DEFAULT_SERVICE}`, message: 'is the top-level servers and settings: give them there', input: undefined });
  }
  const config = normalise(f);
  const tls = tlsSettings(f.load_balancer?.ssl, sourceOf);
  if (tls.tls) config.tls = tls.tls;
  problems.push(...tls.problems);
  problems.push(...duplicates(config.servers, 'servers'));
  for (const s of config.services) problems.push(...duplicates(s.servers, `services.${s.name}.servers`));
  const names = [...(config.defaultService ? [DEFAULT_SERVICE] : []), ...config.services.map((s) => s.name)];
  problems.push(...routeProblems(f.routes ?? [], names, config.admin.prefix).map((p) => ({ ...p, path: `routes${p.path}` })));
  problems.push(
    ...limitNameProblems([
      { path: '', limits: config.globalLimits },
      ...config.services.map((s) => ({ path: `services.${s.name}`, limits: s.limits })),
      ...config.routes.map((r, i) => ({ path: `routes[${i}]`, limits: r.limits ?? { rateLimits: [], maxConcurrent: null } })),
    ]),
  );
  if (problems.length) return { ok: false, errors: problems.map(line) };
  return { ok: true, config };
}

/** The listener limits a config that sets none gets: nginx's header and keep-alive timeouts, no body limit (as HAProxy and Caddy). */
export const LISTEN_DEFAULTS: ListenLimits = { headerTimeoutMs: 60_000, idleTimeoutMs: 75_000, maxConnections: 10_000, maxBodyBytes: 0 };

/** `PATH[j]: duplicates PATH[i] (host:port)` for each server listed twice. */
export function duplicates(servers: readonly ServerConfig[], path: string): InputProblem[] {
  const seen = new Map<string, number>();
  const out: InputProblem[] = [];
  servers.forEach((s, j) => {
    const id = serverAddress(s.url).id;
    const i = seen.get(id);
    if (i !== undefined) out.push({ path: `${path}[${j}]`, message: `duplicates ${path}[${i}] (${id})`, input: s.url });
    else seen.set(id, j);
  });
  return out;
}

/** The top-level settings every service inherits, as validated. */
function inheritedOf(f: FileOutput): ServiceInput {
  const { load_balancer, rate_limit: _rl, max_concurrent: _mc, servers: _s, served_by_header: _h, admin: _a, access_log: _l, cors: _c, storage: _st, services: _sv, routes: _r, log_level: _ll, ...pool } = f;
  return { ...pool, ...(load_balancer?.algorithm ? { algorithm: load_balancer.algorithm } : {}) };
}

/** Fills defaults and converts the file shape to the core's `Config`. */
function normalise(f: FileOutput): Config {
  const inherited = inheritedOf(f);
  const servers = (f.servers ?? []).map(serverSpec);
  return {
    host: f.load_balancer?.host ?? '127.0.0.1',
    port: f.load_balancer?.port ?? 8080,
    listen: {
      headerTimeoutMs: f.load_balancer?.header_timeout ?? LISTEN_DEFAULTS.headerTimeoutMs,
      idleTimeoutMs: f.load_balancer?.idle_timeout ?? LISTEN_DEFAULTS.idleTimeoutMs,
      maxConnections: f.load_balancer?.max_connections ?? LISTEN_DEFAULTS.maxConnections,
      maxBodyBytes: f.load_balancer?.max_body ?? LISTEN_DEFAULTS.maxBodyBytes,
    },
    servers,
    ...poolSettings(inherited),
    globalLimits: trafficLimits(f, 'global'),
    defaultService: f.servers !== undefined || f.services === undefined,
    services: Object.entries(f.services ?? {})
      .filter(([name]) => name !== DEFAULT_SERVICE)
      .map(([name, own]) => resolveService(name, inherited, own)),
    routes: normaliseRoutes(f.routes ?? []),
    inherited,
    servedByHeader: f.served_by_header === false ? '' : (f.served_by_header ?? 'X-Served-By'),
    admin: { prefix: (f.admin?.prefix ?? '/api').replace(/\/+$/, '') || '/api', ...(f.admin?.token ? { token: f.admin.token } : {}), allowedHosts: f.admin?.allowed_hosts ?? [] },
    logLevel: f.log_level ?? 'info',
    storage: f.storage ?? 'memory',
    accessLog: f.access_log ?? 'json',
    corsOrigins: f.cors?.origins ?? [],
  };
}
