/**
 * TLS termination as the Node, Bun and Deno listeners share it: certificate
 * pairs read and checked with the runtime's `node:crypto` (all three have
 * it), the certificate a client's server name (SNI) gets, the plain
 * listener's redirect to https, and the HSTS header.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { TlsConfig, TlsPair } from '../config/tls-schema.ts';
import type { FetchHandler, LoadedCertificate, TlsMaterial } from './types.ts';

export type { LoadedCertificate, TlsMaterial };

export type TlsLoad = { ok: true; material: TlsMaterial; warnings: string[] } | { ok: false; errors: string[] };

const why = (e: unknown) => (e as { code?: string }).code ?? (e instanceof Error ? e.message : String(e));
const quoted = (s: string) => JSON.stringify(s);

/** The names a certificate is valid for, from its subjectAltName (`DNS:a, IP Address:1.2.3.4`), else its CN. */
export function certificateNames(subjectAltName: string | undefined, subject: string): string[] {
  const names: string[] = [];
  for (const part of (subjectAltName ?? '').split(/,\s*/)) {
    const m = /^(DNS|IP Address):(.+)$/.exec(part.trim());
    if (m) names.push(m[2].trim().toLowerCase());
  }
  if (names.length) return names;
  const cn = /(?:^|\n|,\s*)CN=([^\n,]+)/.exec(subject);
  return cn ? [cn[1].trim().toLowerCase()] : [];
}

/** Whether `name` (a certificate name, maybe `*.example.com`) covers `serverName`: a wildcard stands for exactly one label. */
export function nameMatches(name: string, serverName: string): boolean {
  if (name === serverName) return true;
  if (!name.startsWith('*.')) return false;
  const dot = serverName.indexOf('.');
  return dot > 0 && serverName.slice(dot + 1) === name.slice(2);
}

/**
 * The index of the certificate to serve a client that asked for
 * `serverName`: the first whose names hold it exactly, else the first with a
 * matching wildcard, else 0 (the default, also when no name was sent).
 */
export function pickCertificate(certificates: readonly { names: readonly string[] }[], serverName: string | undefined | null): number {
  const name = (serverName ?? '').toLowerCase().replace(/\.$/, '');
  if (!name) return 0;
  const exact = certificates.findIndex((c) => c.names.includes(name));
  if (exact >= 0) return exact;
  const wild = certificates.findIndex((c) => c.names.some((n) => nameMatches(n, name)));
  return wild >= 0 ? wild : 0;
}

/**
 * Reads and checks every pair of `tls`: each file readable, the chain a PEM
 * certificate, the key a PEM private key that belongs to it. Any failure is
 * one line naming the field, the file and the problem; a certificate out of
 * its validity period at `now` is a warning (served anyway).
 */
export async function loadTls(tls: TlsConfig, readFile: (path: string) => Promise<string>, now: Date): Promise<TlsLoad> {
  const errors: string[] = [];
  const warnings: string[] = [];
  const certificates: LoadedCertificate[] = [];
  for (const pair of tls.certificates) {
    const loaded = await loadPair(pair, readFile, now, warnings);
    if (typeof loaded === 'string') errors.push(...loaded.split('\n'));
    else certificates.push(loaded);
  }
  return errors.length ? { ok: false, errors } : { ok: true, material: { certificates, http2: tls.http2 }, warnings };
}

async function loadPair(pair: TlsPair, readFile: (path: string) => Promise<string>, now: Date, warnings: string[]): Promise<LoadedCertificate | string> {
  const read = async (f: TlsPair['cert']) => {
    try {
      return { text: await readFile(f.path) };
    } catch (e) {
      return { error: `${f.field}: cannot read ${quoted(f.path)}: ${why(e)}` };
    }
  };
  const [certText, keyText] = await Promise.all([read(pair.cert), read(pair.key)]);
  const problems = [certText.error, keyText.error].filter((p): p is string => p !== undefined);
  if (problems.length) return problems.join('\n');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certText.text!);
  } catch {
    return `${pair.cert.field}: ${quoted(pair.cert.path)} is not a PEM certificate (expected -----BEGIN CERTIFICATE-----)`;
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(keyText.text!);
  } catch {
    return `${pair.key.field}: ${quoted(pair.key.path)} is not a PEM private key (expected -----BEGIN PRIVATE KEY----- or a PKCS#1/SEC1 key)`;
  }
  let matches = false;
  try {
    matches = x509.checkPrivateKey(key);
  } catch {
    matches = false;
  }
  if (!matches) return `${pair.key.field}: does not match cert_file ${quoted(pair.cert.path)} (a different key)`;
  const notAfter = new Date(x509.validTo);
  const notBefore = new Date(x509.validFrom);
  if (notAfter.getTime() < now.getTime()) warnings.push(`${pair.cert.field}: certificate ${quoted(pair.cert.path)} expired on ${notAfter.toISOString()}; clients will refuse it`);
  else if (notBefore.getTime() > now.getTime()) warnings.push(`${pair.cert.field}: certificate ${quoted(pair.cert.path)} is not valid until ${notBefore.toISOString()}; clients will refuse it`);
  return { cert: certText.text!, key: keyText.text!, names: certificateNames(x509.subjectAltName, x509.subject), serial: x509.serialNumber, notAfter };
}

/** The `Strict-Transport-Security` value for these settings. */
export function hstsValue(hsts: NonNullable<TlsConfig['hsts']>): string {
  return `max-age=${hsts.maxAgeSeconds}${hsts.includeSubdomains ? '; includeSubDomains' : ''}`;
}

/**
 * `handler` with `Strict-Transport-Security: value` on every response that
 * does not carry one already (a backend's own policy is kept).
 */
export function withHsts(handler: FetchHandler, value: string): FetchHandler {
  const add = (response: Response): Response => {
    if (response.headers.has('strict-transport-security')) return response;
    try {
      response.headers.set('strict-transport-security', value);
      return response;
    } catch {
      // Immutable headers (a fetch response passed through): copy them.
      const headers = new Headers(response.headers);
      headers.set('strict-transport-security', value);
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    }
  };
  return (request, env) => {
    const r = handler(request, env);
    return r instanceof Promise ? r.then(add) : add(r);
  };
}

/**
 * The plain listener's answer to every request: 301 to the same path and
 * query over https, on the host the client asked for (without its port) and
 * `httpsPort` unless it is 443. No body is read.
 */
export function httpsRedirect(httpsPort: number, fallbackHost: string): FetchHandler {
  return (request) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return new Response('Bad Request\n', { status: 400, headers: { 'content-type': 'text/plain' } });
    }
    const host = url.hostname || (fallbackHost.includes(':') ? `[${fallbackHost}]` : fallbackHost);
    const location = `https://${host}${httpsPort === 443 ? '' : `:${httpsPort}`}${url.pathname}${url.search}`;
    return new Response(null, { status: 301, headers: { location, 'content-length': '0' } });
  };
}

/** The request with its URL's scheme set to `scheme` when it says otherwise (an absolute-form target such as `GET http://x/` over TLS), else itself. */
export function withScheme(request: Request, scheme: 'http' | 'https'): Request {
  if (request.url.startsWith(`${scheme}:`)) return request;
  const url = new URL(request.url);
  url.protocol = `${scheme}:`;
  return new Request(url, request);
}
