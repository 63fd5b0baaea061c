import * as v from 'valibot';
import { stickySecret } from './pool-schema.ts';
import type { Config } from './types.ts';
import { HELP } from './help.ts';
import { resolveSslPaths } from './tls-schema.ts';
import { resolveCaPaths } from './backend-tls.ts';
import { jsonErrorText, parseJson } from './json.ts';
import type { Flags } from './flags.ts';
import { parseConfigText, validateConfig } from './validate.ts';

export interface ResolveInput {
  /** The parsed command-line flags. */
  flags: Flags;
  env: Record<string, string | undefined>;
  readFile: (path: string) => Promise<string>;
}

export type Resolved =
  | { ok: true; config: Config; demo: boolean }
  | { ok: true; help: string }
  | { ok: false; errors: string[] };

/** Env variables and the file path each one sets (seeds 003 and 004). */
const ENV: Array<[string, string[]]> = [
  ['LB_HOST', ['load_balancer', 'host']],
  ['LB_PORT', ['load_balancer', 'port']],
  ['LB_ALGORITHM', ['load_balancer', 'algorithm']],
  ['LB_ADMIN_TOKEN', ['admin', 'token']],
  ['LOG_LEVEL', ['log_level']],
  ['HEALTH_CHECK_INTERVAL', ['health_check', 'interval']],
  ['MAX_RETRIES', ['retries']],
  ['TIMEOUT', ['timeout']],
  ['LB_TLS_CERT', ['load_balancer', 'ssl', 'cert_file']],
  ['LB_TLS_KEY', ['load_balancer', 'ssl', 'key_file']],
];

/** Every environment variable the configuration reads. */
export const ENV_VARS = ['LB_CONFIG', ...ENV.map(([name]) => name), 'LB_STICKY_SECRET'];

/** Env variables taken as text as they are (the rest may be numbers). */
const TEXT_ENV = new Set(['LB_HOST', 'LB_ADMIN_TOKEN', 'LB_ALGORITHM', 'LOG_LEVEL', 'LB_TLS_CERT', 'LB_TLS_KEY']);

/** A numeric-looking string becomes a number, so `LB_PORT=8080` validates as a port. */
const numeric = (s: string): string | number => (/^-?\d+(\.\d+)?$/.test(s.trim()) ? Number(s) : s);

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let o = obj;
  for (const key of path.slice(0, -1)) {
    if (typeof o[key] !== 'object' || o[key] === null || Array.isArray(o[key])) o[key] = {};
    o = o[key] as Record<string, unknown>;
  }
  o[path[path.length - 1]] = value;
}

/**
 * Builds the configuration from flags > env > file > defaults, validating all
 * of it with one schema. Every problem is one line naming its source (file,
 * `env NAME` or `flag --name`), the path and the value. Never throws on input.
 */
export async function resolveConfig(input: ResolveInput): Promise<Resolved> {
  const env = Object.fromEntries(Object.entries(input.env).filter(([, val]) => val !== undefined && val !== '')) as Record<string, string>;
  const flags = input.flags;
  if (flags.help) return { ok: true, help: HELP };

  const errors: string[] = [];
  // Sources by path prefix, for naming where a bad value came from.
  const sources: Array<[string, string]> = [];
  let raw: Record<string, unknown> = {};
  const file = flags.config ?? env.LB_CONFIG;
  if (file) {
    const label = file;
    let text: string | undefined;
    try {
      text = await input.readFile(file);
    } catch (e) {
      errors.push(`${flags.config ? 'flag --config' : 'env LB_CONFIG'}: cannot read config file ${JSON.stringify(file)}: ${(e as { code?: string }).code ?? (e as Error).message}`);
    }
    if (text !== undefined) {
      const parsed = parseConfigText(label, text);
      if (parsed.ok) {
        resolveSslPaths((raw = parsed.raw), file);
        resolveCaPaths(raw, file);
      } else errors.push(parsed.error);
    }
    sources.push(['', label]);
  }
  for (const [name, path] of ENV) {
    if (env[name] === undefined) continue;
    setPath(raw, path, TEXT_ENV.has(name) ? env[name] : numeric(env[name]));
    sources.push([path.join('.'), `env ${name}`]);
  }
  const flagPaths: Array<[keyof Flags, string[]]> = [
    ['host', ['load_balancer', 'host']],
    ['port', ['load_balancer', 'port']],
    ['algorithm', ['load_balancer', 'algorithm']],
    ['access-log', ['access_log']],
    ['cert', ['load_balancer', 'ssl', 'cert_file']],
    ['key', ['load_balancer', 'ssl', 'key_file']],
  ];
  for (const [name, path] of flagPaths) {
    const value = flags[name];
    if (value === undefined) continue;
    setPath(raw, path, name === 'port' ? numeric(String(value)) : value);
    sources.push([path.join('.'), `flag --${name}`]);
  }
  if (flags.servers) {
    try {
      const parsed = parseJson(await input.readFile(flags.servers));
      if (!parsed.ok) errors.push(`${flags.servers}:${parsed.error.line}:${parsed.error.column}: ${jsonErrorText(parsed.error)}`);
      else raw.servers = parsed.value;
      sources.push(['servers', `flag --servers ${flags.servers}`]);
    } catch (e) {
      errors.push(`flag --servers: cannot read ${JSON.stringify(flags.servers)}: ${(e as { code?: string }).code ?? (e as Error).message}`);
    }
  }
  if (flags.backend.length) {
    raw.servers = flags.backend.map((b) => {
      const m = /^(.*)=([^/=]*)$/.exec(b);
      return m ? { url: m[1], weight: numeric(m[2]) } : { url: b };
    });
    sources.push(['servers', 'flag --backend']);
  }
  if (errors.length) return { ok: false, errors };

  const sourceOf = (path: string) => {
    let best = sources.find(([p]) => p === '')?.[1] ?? 'config';
    let len = -1;
    for (const [p, label] of sources) {
      if (p && (path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`)) && p.length > len) {
        best = label;
        len = p.length;
      }
    }
    return best;
  };
  const result = validateConfig(raw, sourceOf);
  const secret = env.LB_STICKY_SECRET;
  if (secret !== undefined) {
    const bad = v.safeParse(stickySecret, secret);
    if (!bad.success) return { ok: false, errors: [...(result.ok ? [] : result.errors), `env LB_STICKY_SECRET: ${bad.issues[0].message}`] };
    if (result.ok) result.config.stickySecret = secret;
  }
  // Demo backends only when nothing at all is configured: no servers and no services.
  return result.ok ? { ...result, demo: result.config.servers.length === 0 && result.config.services.length === 0 } : result;
}

