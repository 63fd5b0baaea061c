/**
 * HTTPS to backends: the pool setting `tls` (`ca_file`, `server_name`,
 * `insecure_skip_verify`), what it normalises to, where its CA files are
 * named, and the checks a runtime that cannot honour a field runs at start.
 * Files are named here; the runtime reads them (config is a leaf: no I/O).
 */
import * as v from 'valibot';
import { besideConfig } from './tls-schema.ts';
import { section } from './fields.ts';
import { DEFAULT_SERVICE } from './service-name.ts';

/** The fields of `tls`, as a user writes them. */
export type BackendTlsField = 'ca_file' | 'server_name' | 'insecure_skip_verify';

const LABEL = /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;
const HOST_NAME = 'must be a host name such as api.internal (not an IP address: SNI carries names only)';

/** A DNS name for SNI: labels of letters, digits, `-` and `_`, at most 253 characters; never an IP address. */
const serverName = v.pipe(
  v.string(HOST_NAME),
  v.check((s) => {
    const name = s.endsWith('.') ? s.slice(0, -1) : s;
    if (name.length < 1 || name.length > 253) return false;
    const labels = name.split('.');
    return labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1]);
  }, HOST_NAME),
);

/** The `tls` pool setting: spread into the pool schema (a section: a service inherits it field by field). */
export const backendTlsEntries = {
  tls: v.optional(
    section({
      ca_file: v.optional(v.pipe(v.string('must be a file path'), v.minLength(1, 'must be a file path'))),
      server_name: v.optional(serverName),
      insecure_skip_verify: v.optional(v.boolean('must be true or false')),
    }),
  ),
};

export type BackendTlsInput = NonNullable<v.InferOutput<(typeof backendTlsEntries)['tls']>>;

/**
 * How an `https://` backend's certificate is checked. Absent (null in pool
 * settings): against the runtime's default trust store, for the URL's host.
 */
export interface BackendTls {
  /** A PEM file of the CAs trusted instead of the default store, named in the config file (the runtime reads it at start). */
  readonly caFile?: string;
  /** The name sent as SNI and checked against the certificate, instead of the URL's host. */
  readonly serverName?: string;
  /** No check at all: any certificate, any name. */
  readonly insecureSkipVerify: boolean;
}

/** A validated `tls` as the core carries it; null when it changes nothing (no file, no name, verification on). */
export function backendTls(input: BackendTlsInput | undefined): BackendTls | null {
  if (!input) return null;
  const skip = input.insecure_skip_verify === true;
  if (input.ca_file === undefined && input.server_name === undefined && !skip) return null;
  return {
    ...(input.ca_file !== undefined ? { caFile: input.ca_file } : {}),
    ...(input.server_name !== undefined ? { serverName: input.server_name.replace(/\.$/, '').toLowerCase() } : {}),
    insecureSkipVerify: skip,
  };
}

/** A stable key for one TLS setting: the same key, the same connection pool. */
export function backendTlsKey(tls: BackendTls): string {
  return JSON.stringify([tls.caFile ?? null, tls.serverName ?? null, tls.insecureSkipVerify]);
}

/**
 * Rewrites every `tls.ca_file` of a config file's raw object (the top level's
 * and each service's, as parsed, before validation) to be relative to the
 * file's directory. Anything that is not a string is left for the schema.
 */
export function resolveCaPaths(raw: Record<string, unknown>, configFile: string): void {
  const fix = (owner: unknown) => {
    if (!isObject(owner) || !isObject(owner.tls)) return;
    const tls = owner.tls;
    if (typeof tls.ca_file === 'string' && tls.ca_file) tls.ca_file = besideConfig(configFile, tls.ca_file);
  };
  fix(raw);
  if (isObject(raw.services)) for (const s of Object.values(raw.services)) fix(s);
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** A service's resolved `tls`, and where each of its values was set (`tls.x` inherited, `services.NAME.tls.x` its own). */
export interface TlsUse {
  service: string;
  tls: BackendTls;
  /** The config path each set field came from. */
  fields: Partial<Record<BackendTlsField, string>>;
}

/** The pieces of a config the TLS checks read (a structural slice of `Config`). */
export interface TlsConfigSlice {
  backendTls: BackendTls | null;
  defaultService: boolean;
  services: ReadonlyArray<{ name: string; backendTls: BackendTls | null }>;
  inherited: { tls?: BackendTlsInput };
}

/** Every service of a config whose `tls` changes something, with where each field was set. */
export function tlsUses(config: TlsConfigSlice): TlsUse[] {
  const top = config.inherited.tls ?? {};
  const fieldsOf = (name: string, tls: BackendTls): TlsUse['fields'] => {
    const at = (f: BackendTlsField, own: boolean) => (own ? `services.${name}.tls.${f}` : `tls.${f}`);
    const out: TlsUse['fields'] = {};
    if (tls.caFile !== undefined) out.ca_file = at('ca_file', name !== DEFAULT_SERVICE && tls.caFile !== top.ca_file);
    if (tls.serverName !== undefined) out.server_name = at('server_name', name !== DEFAULT_SERVICE && tls.serverName !== backendTls(top)?.serverName);
    if (tls.insecureSkipVerify) out.insecure_skip_verify = at('insecure_skip_verify', name !== DEFAULT_SERVICE && top.insecure_skip_verify !== true);
    return out;
  };
  const uses: TlsUse[] = [];
  if (config.defaultService && config.backendTls) uses.push({ service: DEFAULT_SERVICE, tls: config.backendTls, fields: fieldsOf(DEFAULT_SERVICE, config.backendTls) });
  for (const s of config.services) if (s.backendTls) uses.push({ service: s.name, tls: s.backendTls, fields: fieldsOf(s.name, s.backendTls) });
  return uses;
}

/** The CA files a config names, each once, with the first field that names it. */
export function caFiles(config: TlsConfigSlice): Array<{ path: string; field: string }> {
  const seen = new Map<string, string>();
  const top = config.inherited.tls?.ca_file;
  if (top !== undefined) seen.set(top, 'tls.ca_file');
  for (const use of tlsUses(config)) if (use.tls.caFile !== undefined && !seen.has(use.tls.caFile)) seen.set(use.tls.caFile, use.fields.ca_file!);
  return [...seen].map(([path, field]) => ({ path, field }));
}

/** One warning line per service that checks no certificate (`insecure_skip_verify: true`). */
export function skipVerifyWarnings(config: TlsConfigSlice): string[] {
  return tlsUses(config)
    .filter((u) => u.tls.insecureSkipVerify)
    .map((u) => `${u.fields.insecure_skip_verify}: service ${JSON.stringify(u.service)} does not verify its https:// servers' certificates (any certificate, any name is accepted)`);
}

/** Why a runtime cannot honour a `tls` field, by field; absent: it can. */
export type TlsLimits = Partial<Record<BackendTlsField, string>>;

/** One line per set field this runtime cannot honour: `FIELD: REASON`, each field path once. */
export function tlsLimitProblems(config: TlsConfigSlice, limits: TlsLimits): string[] {
  const lines = new Set<string>();
  for (const use of tlsUses(config)) {
    for (const f of Object.keys(use.fields) as BackendTlsField[]) if (limits[f]) lines.add(`${use.fields[f]}: ${limits[f]}`);
  }
  return [...lines];
}

/** What Workers' fetch cannot do: it verifies every certificate against public CAs, for the URL's host. */
export const WORKERS_TLS_LIMITS: TlsLimits = {
  ca_file: "Workers' fetch trusts public CAs only and a Worker reads no files: give the server a certificate from a public CA",
  server_name: "Workers' fetch checks the certificate against the URL's host only: give the server's URL by that name",
  insecure_skip_verify: "Workers' fetch always verifies certificates: give the server a certificate from a public CA",
};

/**
 * For a service made through the API: `tls.ca_file` is refused, as files are
 * read from the config file at start only (a service made there inherits the
 * top level's CA file). Forwarded to the field, so the 400 names it.
 */
export const caFileConfigOnly = <T extends { tls?: BackendTlsInput }>() =>
  v.forward<T, v.CheckIssue<T>, ['tls', 'ca_file']>(
    v.check(
      (s: T) => s.tls?.ca_file === undefined,
      'is read from the config file at start only: a service made through the API cannot name a file (it inherits the top-level tls.ca_file)',
    ),
    ['tls', 'ca_file'] as never,
  );
