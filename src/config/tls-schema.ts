/**
 * TLS termination settings: `load_balancer.ssl` (seed 004's `enabled`,
 * `cert_file`, `key_file`), more certificates chosen by SNI, a plain listener
 * that redirects to https, HSTS, and whether HTTP/2 is offered by ALPN. Files
 * are named here; the runtime reads and checks them.
 */
import * as v from 'valibot';
import { integer, section } from './fields.ts';

const file = v.pipe(v.string('must be a file path'), v.minLength(1, 'must be a file path'));

/** `load_balancer.ssl`. */
export const SslSchema = section({
  enabled: v.optional(v.boolean('must be true or false')),
  cert_file: v.optional(file),
  key_file: v.optional(file),
  certificates: v.optional(
    v.pipe(v.array(section({ cert_file: file, key_file: file }), 'must be a list of {"cert_file", "key_file"}'), v.minLength(1, 'must list at least one certificate')),
  ),
  redirect_http_port: v.optional(integer(1, 65535, 'an integer 1-65535')),
  http2: v.optional(v.boolean('must be true or false')),
  hsts: v.optional(
    section({
      max_age: v.optional(integer(0, 1_000_000_000, 'seconds, an integer 0-1000000000')),
      include_subdomains: v.optional(v.boolean('must be true or false')),
    }),
  ),
});

export type SslInput = v.InferOutput<typeof SslSchema>;

/** One file of a certificate pair: where it is, and where it was set (`config.json: load_balancer.ssl.cert_file`), for messages. */
export interface TlsFile {
  path: string;
  field: string;
}

/** A certificate chain and its private key (PEM files). */
export interface TlsPair {
  cert: TlsFile;
  key: TlsFile;
}

/** TLS termination on the listener, as configured. */
export interface TlsConfig {
  /** The first is served when the client's server name (SNI) matches none, or sends none. */
  certificates: TlsPair[];
  /** A plain listener on this port answering 301 to https; null: none. */
  redirectHttpPort: number | null;
  /** `Strict-Transport-Security` on every TLS response; null: not sent. */
  hsts: { maxAgeSeconds: number; includeSubdomains: boolean } | null;
  /** Whether the listener offers HTTP/2 by ALPN (`h2`, then `http/1.1`); false: HTTP/1.1 only. */
  http2: boolean;
}

/** One year, as nginx's and Traefik's HSTS examples. */
export const HSTS_DEFAULT_MAX_AGE_SECONDS = 31_536_000;

/**
 * The TLS settings of a validated `ssl` section, or null when TLS is off: off
 * when `enabled` is false, or when no certificate is named and `enabled` is
 * not true. `cert_file`/`key_file` come first (the default), then
 * `certificates`. HTTP/2 is on unless `http2` is false. Problems (`enabled` with no certificate, half a pair) are
 * returned with their paths; `sourceOf(path)` names where a value came from.
 */
export function tlsSettings(
  ssl: SslInput | undefined,
  sourceOf: (path: string) => string,
): { tls: TlsConfig | null; problems: Array<{ path: string; message: string; input: unknown }> } {
  const problems: Array<{ path: string; message: string; input: unknown }> = [];
  if (!ssl || ssl.enabled === false) return { tls: null, problems };
  const base = 'load_balancer.ssl';
  const at = (path: string, value: string): TlsFile => ({ path: value, field: `${sourceOf(path)}: ${path}` });
  const certificates: TlsPair[] = [];
  if (ssl.cert_file !== undefined && ssl.key_file !== undefined) {
    certificates.push({ cert: at(`${base}.cert_file`, ssl.cert_file), key: at(`${base}.key_file`, ssl.key_file) });
  } else if (ssl.cert_file !== undefined) {
    problems.push({ path: `${base}.cert_file`, message: 'needs key_file too', input: ssl.cert_file });
  } else if (ssl.key_file !== undefined) {
    problems.push({ path: `${base}.key_file`, message: 'needs cert_file too', input: ssl.key_file });
  }
  (ssl.certificates ?? []).forEach((c, i) => {
    const p = `${base}.certificates[${i}]`;
    certificates.push({ cert: at(`${p}.cert_file`, c.cert_file), key: at(`${p}.key_file`, c.key_file) });
  });
  if (!certificates.length) {
    if (ssl.enabled === true && !problems.length) problems.push({ path: `${base}.enabled`, message: 'needs cert_file and key_file (or certificates)', input: true });
    return { tls: null, problems };
  }
  const hsts = ssl.hsts ? { maxAgeSeconds: ssl.hsts.max_age ?? HSTS_DEFAULT_MAX_AGE_SECONDS, includeSubdomains: ssl.hsts.include_subdomains ?? false } : null;
  return { tls: { certificates, redirectHttpPort: ssl.redirect_http_port ?? null, hsts, http2: ssl.http2 ?? true }, problems };
}

/** Whether `path` is absolute (POSIX `/x`, Windows `C:\x` or `\\server\x`). */
const isAbsolute = (path: string) => /^([/\\]|[A-Za-z]:[/\\])/.test(path);

/** `path` as seen from the directory of `configFile` (unchanged when absolute). */
export function besideConfig(configFile: string, path: string): string {
  if (isAbsolute(path)) return path;
  const slash = Math.max(configFile.lastIndexOf('/'), configFile.lastIndexOf('\\'));
  return slash < 0 ? path : `${configFile.slice(0, slash + 1)}${path}`;
}

/**
 * Rewrites the certificate paths of a config file's raw `load_balancer.ssl`
 * (as parsed, before validation) to be relative to the file's directory.
 * Anything that is not a string is left for the schema to refuse.
 */
export function resolveSslPaths(raw: Record<string, unknown>, configFile: string): void {
  const lb = raw.load_balancer;
  if (typeof lb !== 'object' || lb === null) return;
  const ssl = (lb as Record<string, unknown>).ssl;
  if (typeof ssl !== 'object' || ssl === null) return;
  const fix = (o: Record<string, unknown>) => {
    for (const k of ['cert_file', 'key_file']) if (typeof o[k] === 'string' && o[k]) o[k] = besideConfig(configFile, o[k] as string);
  };
  fix(ssl as Record<string, unknown>);
  const list = (ssl as Record<string, unknown>).certificates;
  if (Array.isArray(list)) for (const c of list) if (typeof c === 'object' && c !== null && !Array.isArray(c)) fix(c as Record<string, unknown>);
}
