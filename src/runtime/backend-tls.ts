/**
 * HTTPS to backends at start, as the Node, Bun and Deno processes share it:
 * every `tls.ca_file` the config names read and checked (PEM certificates,
 * parsed with the runtime's `node:crypto`), the settings this runtime cannot
 * honour refused, and a warning for each service that verifies nothing.
 */
import { X509Certificate } from 'node:crypto';
import { parseFlags } from '../cli/args.ts';
import { START_FLAGS } from '../config/flags.ts';
import { caFiles, skipVerifyWarnings, tlsLimitProblems, type TlsConfigSlice, type TlsLimits } from '../config/backend-tls.ts';
import type { CaBundles } from '../transport/types.ts';
import type { Runtime } from './types.ts';

export type CaLoad = { ok: true; cas: CaBundles; warnings: string[] } | { ok: false; errors: string[] };

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const why = (e: unknown) => (e as { code?: string }).code ?? (e instanceof Error ? e.message : String(e));

/**
 * The PEM text of `text` when it is one or more PEM certificates, each one
 * parsing; otherwise what is wrong, in words.
 */
export function pemProblem(text: string, now: Date): { problem?: string; expired: number } {
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (!blocks.length) return { problem: 'is not a PEM certificate file (expected -----BEGIN CERTIFICATE-----)', expired: 0 };
  let expired = 0;
  for (let i = 0; i < blocks.length; i++) {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(blocks[i]);
    } catch {
      return { problem: `holds a certificate that does not parse (the ${ordinal(i + 1)} PEM block)`, expired };
    }
    if (new Date(cert.validTo).getTime() < now.getTime()) expired++;
  }
  return { expired };
}

const ordinal = (n: number) => `${n}${n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`;

/**
 * Reads every CA file `config` names (each once). A missing or unreadable
 * file, or one that is not PEM certificates, is one line naming the field
 * (`source: tls.ca_file`), the file and the problem. A CA past its validity
 * is a warning: backends it signed will not be trusted.
 */
export async function loadBackendCas(config: TlsConfigSlice, readFile: (path: string) => Promise<string>, source: string, now: Date): Promise<CaLoad> {
  const errors: string[] = [];
  const warnings: string[] = [];
  const cas = new Map<string, string>();
  for (const { path, field } of caFiles(config)) {
    const at = `${source}: ${field}`;
    let text: string;
    try {
      text = await readFile(path);
    } catch (e) {
      errors.push(`${at}: cannot read ${JSON.stringify(path)}: ${why(e)}`);
      continue;
    }
    const { problem, expired } = pemProblem(text, now);
    if (problem) {
      errors.push(`${at}: ${JSON.stringify(path)} ${problem}`);
      continue;
    }
    if (expired) warnings.push(`${at}: ${JSON.stringify(path)} holds ${expired} expired certificate(s); servers they signed will not be trusted`);
    cas.set(path, text);
  }
  return errors.length ? { ok: false, errors } : { ok: true, cas, warnings };
}

/**
 * Everything a process checks about `tls` at start: the fields this runtime
 * cannot honour (`limits`) and the CA files, as error lines (exit 2); the
 * skip-verify services and expired CAs as warnings.
 */
export async function backendTlsAtStart(
  config: TlsConfigSlice,
  limits: TlsLimits,
  readFile: (path: string) => Promise<string>,
  source: string,
  now: Date,
): Promise<CaLoad> {
  const refused = tlsLimitProblems(config, limits).map((line) => `${source}: ${line}`);
  const loaded = await loadBackendCas(config, readFile, source, now);
  if (refused.length || !loaded.ok) return { ok: false, errors: [...refused, ...(loaded.ok ? [] : loaded.errors)] };
  return { ok: true, cas: loaded.cas, warnings: [...skipVerifyWarnings(config).map((line) => `${source}: ${line}`), ...loaded.warnings] };
}

/** The CA files of `config`, read and checked at start; a problem ends the process (2), naming the field and file. */
export async function backendCasOrExit(config: TlsConfigSlice, d: Runtime, warn: (line: string) => void): Promise<CaBundles> {
  const source = parseFlags(d.argv, START_FLAGS).values.config ?? d.env.LB_CONFIG ?? 'config';
  const r = await backendTlsAtStart(config, d.backendTlsLimits ?? {}, d.readFile, String(source), new Date());
  if (!r.ok) {
    for (const line of r.errors) d.stderr(line);
    return d.exit(2);
  }
  for (const line of r.warnings) warn(line);
  return r.cas;
}
