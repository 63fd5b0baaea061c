/**
 * A server as config files and the admin API give it: one schema and one
 * normalisation for both, and the one rule that turns a URL into the
 * backend's address (`host:port` id, canonical URL).
 */
import * as v from 'valibot';
import { section } from './fields.ts';

/** A configured server, normalised: always a URL, never host/port separately. */
export interface ServerConfig {
  url: string;
  name?: string;
  weight: number;
  backup: boolean;
  /** Most requests in flight to it at once (nginx and HAProxy `max_conns`/`maxconn`); absent: no cap. */
  maxConns?: number;
}

/** Thrown for a server URL no backend can have (the API turns it into a 400). */
export class ServerSpecError extends Error {}

/** Where a server is: its `host:port` id (default ports filled in), host, port, and URL (origin plus base path, no trailing slash). */
export interface ServerAddress {
  id: string;
  url: string;
  host: string;
  port: number;
}

/** Why no backend can have `url` (`not a valid URL`, `the port must be 1-65535`, ...); nothing when one can. Never throws. */
export function urlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a valid URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be http or https';
  if (u.port === '0') return 'the port must be 1-65535';
  if (u.username || u.password) return 'must not carry a user or password';
  return undefined;
}

/** The address of a server URL; `ServerSpecError` naming the problem when it has none. */
export function serverAddress(url: string): ServerAddress {
  const problem = urlProblem(url);
  if (problem) throw new ServerSpecError(`url: ${problem}, got ${JSON.stringify(url)}`);
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { id: `${host.includes(':') ? `[${host}]` : host}:${port}`, url: `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`, host, port };
}

/** `http://HOST:PORT` for seed 004's `{host, port}` (an IPv6 host bracketed). */
export function hostPortUrl(host: string, port: number): string {
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

const HOST_CHARACTERS = /^[A-Za-z0-9.\-_:[\]]+$/;

/**
 * A host name or IP address that a URL can hold: `999.1.1.1`, `[`, `a:b`
 * and the like are `must be a host name or IP address`. An IPv6 address may
 * come with or without brackets.
 */
export const serverHost = v.pipe(
  v.string('must be a host name or IP address'),
  v.regex(HOST_CHARACTERS, 'must be a host name or IP address'),
  v.check((h) => !HOST_CHARACTERS.test(h) || urlProblem(hostPortUrl(h, 80)) === undefined, 'must be a host name or IP address'),
);

/** An http(s) URL a backend can have; otherwise the reason (`url: the port must be 1-65535, got "http://a:0"`). */
const serverUrl = v.pipe(
  v.string('must be an http(s) URL'),
  v.regex(/^https?:\/\//i, 'must be an http(s) URL'),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed || !/^https?:\/\//i.test(dataset.value)) return;
    const problem = urlProblem(dataset.value);
    if (problem) addIssue({ message: problem });
  }),
);

const integer = (min: number, max: number, what = `an integer ${min}-${max}`) =>
  v.pipe(v.number(`must be ${what}`), v.integer(`must be ${what}`), v.minValue(min, `must be ${what}`), v.maxValue(max, `must be ${what}`));

export const weight = v.pipe(v.number('must be a positive number'), v.finite('must be a positive number'), v.gtValue(0, 'must be a positive number'), v.maxValue(1000, 'must be at most 1000'));

/** A server's `max_conns`: most requests in flight to it at once (0: no cap). */
export const maxConns = integer(0, 1_000_000, 'an integer 0-1000000 (0: no cap)');

const common = {
  weight: v.optional(weight, 1),
  name: v.optional(v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'), v.maxLength(200, 'must be at most 200 characters'))),
  backup: v.optional(v.boolean('must be true or false'), false),
  max_conns: v.optional(maxConns),
};

/** A server: seed 004's `{host, port, weight}` or `{url}`; plus `name`, `backup`. The same in config files and `POST /api/servers`. */
export const ServerSchema = v.union(
  [
    section({ host: serverHost, port: integer(1, 65535), ...common }),
    section({ url: serverUrl, ...common }),
  ],
  'must be {"host", "port"} or {"url"}',
);

export type ServerInput = v.InferOutput<typeof ServerSchema>;

/** A validated server as the core keeps it: always a canonical URL, never host/port apart. */
export function serverSpec(s: ServerInput): ServerConfig {
  const url = serverAddress('url' in s ? s.url : hostPortUrl(s.host, s.port)).url;
  return { url, weight: s.weight, backup: s.backup, ...(s.name ? { name: s.name } : {}), ...(s.max_conns ? { maxConns: s.max_conns } : {}) };
}
