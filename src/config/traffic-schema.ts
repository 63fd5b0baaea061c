/**
 * Traffic control settings: `rate_limit` and `max_concurrent` (per scope: the
 * top level, a route, a service; never inherited), and the pool settings
 * every service inherits: `max_queue`, `queue_timeout`, `shed_percent`,
 * `priority`.
 */
import * as v from 'valibot';
import { parseCidr } from '../traffic/cidr.ts';
import { integer, percent, positiveDuration, section } from './fields.ts';
import type { ConcurrencyConfig, LimitKey, RateLimitConfig, TrafficLimits } from '../traffic/config.ts';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const COOKIE_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,64}$/;

/** `ip`, `header:NAME`, `cookie:NAME` or `route`. */
const limitKey = v.pipe(
  v.string('must be ip, header:NAME, cookie:NAME or route'),
  v.check((k) => parseLimitKey(k) !== undefined, 'must be ip, header:NAME, cookie:NAME or route'),
);

/** The key a limit counts by, or undefined when `text` names none. */
export function parseLimitKey(text: string): LimitKey | undefined {
  if (text === 'ip' || text === 'route') return { by: text };
  const m = /^(header|cookie):(.+)$/.exec(text);
  if (!m) return undefined;
  if (m[1] === 'header') return HEADER_NAME.test(m[2]) ? { by: 'header', name: m[2].toLowerCase() } : undefined;
  return COOKIE_NAME.test(m[2]) ? { by: 'cookie', name: m[2] } : undefined;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `"100/s"`, `"1000/m"`, `"5/10s"`, `"60/h"`: requests per period, or undefined. */
export function parseRate(text: string): { limit: number; periodMs: number } | undefined {
  const m = /^\s*(\d{1,9})\s*\/\s*(\d{1,6})?\s*(ms|s|m|h)\s*$/.exec(text);
  if (!m) return undefined;
  const limit = Number(m[1]);
  const periodMs = Number(m[2] ?? 1) * UNITS[m[3]];
  return limit >= 1 && periodMs >= 1 ? { limit, periodMs } : undefined;
}

const rate = v.pipe(
  v.string('must be a rate such as "100/s", "1000/m" or "5/10s"'),
  v.check((r) => parseRate(r) !== undefined, 'must be a rate such as "100/s", "1000/m" or "5/10s"'),
);

const exempt = v.array(
  v.pipe(v.string('must be an address or CIDR range such as 10.0.0.0/8'), v.check((c) => parseCidr(c) !== undefined, 'must be an address or CIDR range such as 10.0.0.0/8')),
  'must be a list of addresses or CIDR ranges such as ["10.0.0.0/8"]',
);

const limitName = v.pipe(v.string('must be a name'), v.regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'must be a name (letters, digits, _ . : -; up to 64)'));

const bindingName = v.pipe(v.string('must be a binding name'), v.regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a binding name such as SWITCHYARD_RATE_LIMIT'));

/** The Workers rate-limit binding's periods: 10 or 60 seconds. */
export const EDGE_PERIODS_MS = [10_000, 60_000] as const;

/** The binding store `edge` uses unless a limit names another. */
export const DEFAULT_RATE_LIMIT_BINDING = 'SWITCHYARD_RATE_LIMIT';

const RateLimitSchema = v.pipe(
  section({
    name: v.optional(limitName),
    key: v.optional(limitKey),
    rate,
    burst: v.optional(integer(1, 1_000_000)),
    store: v.optional(v.picklist(['memory', 'edge', 'durable_object'], 'must be one of memory, edge, durable_object')),
    binding: v.optional(bindingName),
    exempt: v.optional(exempt),
    headers: v.optional(v.boolean('must be true or false')),
  }),
  v.forward(
    v.check((r) => r.store !== 'edge' || EDGE_PERIODS_MS.includes(parseRate(r.rate)!.periodMs as 10_000), 'must be per 10 s or per minute with store "edge" (the Workers rate-limit binding\'s periods), such as "100/10s" or "1000/m"'),
    ['rate'],
  ),
  v.forward(v.check((r) => r.store !== 'edge' || r.burst === undefined, 'is not available with store "edge": the binding allows its limit per period'), ['burst']),
  v.forward(v.check((r) => r.binding === undefined || r.store === 'edge', 'is only for store "edge"'), ['binding']),
);

/** `rate_limit`: one limit or a list of them. */
export const rateLimitEntry = v.union(
  [RateLimitSchema, v.pipe(v.array(RateLimitSchema, 'must be a rate limit or a list of them'), v.minLength(1, 'must list at least one rate limit'))],
  'must be a rate limit such as {"key": "ip", "rate": "100/s", "burst": 50}, or a list of them',
);

const ConcurrencySchema = section({
  name: v.optional(limitName),
  key: v.optional(limitKey),
  limit: integer(1, 1_000_000),
  exempt: v.optional(exempt),
});

/** `max_concurrent`: a number (per client address), or `{"limit", "key", "exempt"}`. */
export const maxConcurrentEntry = v.union([integer(1, 1_000_000), ConcurrencySchema], 'must be a number of requests per client, or {"limit": 10, "key": "ip"}');

/** The scope settings (`rate_limit`, `max_concurrent`): spread into the top-level, service and route schemas. */
export const limitEntries = {
  rate_limit: v.optional(rateLimitEntry),
  max_concurrent: v.optional(maxConcurrentEntry),
};

/** The inherited traffic pool settings: spread into the pool schema. */
export const trafficPoolEntries = {
  max_queue: v.optional(integer(0, 100_000)),
  queue_timeout: v.optional(positiveDuration),
  shed_percent: v.optional(percent),
  priority: v.optional(
    section({
      header: v.pipe(v.string('must be a header name'), v.regex(HEADER_NAME, 'must be a header name')),
      low: v.pipe(v.array(v.string('must be a header value'), 'must be a list of header values'), v.minLength(1, 'must list at least one value')),
    }),
  ),
};

type LimitsInput = { rate_limit?: v.InferOutput<typeof rateLimitEntry>; max_concurrent?: v.InferOutput<typeof maxConcurrentEntry> };

/** No limits. */
export const NO_LIMITS: TrafficLimits = Object.freeze({ rateLimits: [], maxConcurrent: null }) as TrafficLimits;

/**
 * A scope's limits in the core's shape. `scope` names limits given no name:
 * `global`, `service:NAME`, `route:NAME`, with `[i]` after it in a list of several.
 */
export function trafficLimits(input: LimitsInput, scope: string): TrafficLimits {
  const list = input.rate_limit === undefined ? [] : Array.isArray(input.rate_limit) ? input.rate_limit : [input.rate_limit];
  const rateLimits = list.map((r, i): RateLimitConfig => {
    const keyText = r.key ?? 'ip';
    const { limit, periodMs } = parseRate(r.rate)!;
    const store = r.store ?? 'memory';
    return {
      name: r.name ?? (list.length > 1 ? `${scope}[${i}]` : scope),
      key: parseLimitKey(keyText)!,
      keyText,
      limit,
      periodMs,
      burst: r.burst ?? limit,
      store,
      binding: store === 'edge' ? (r.binding ?? DEFAULT_RATE_LIMIT_BINDING) : '',
      exempt: r.exempt ?? [],
      headers: r.headers ?? false,
    };
  });
  const mc = input.max_concurrent;
  let maxConcurrent: ConcurrencyConfig | null = null;
  if (mc !== undefined) {
    const c = typeof mc === 'number' ? { limit: mc } : mc;
    const keyText = c.key ?? 'ip';
    maxConcurrent = { name: c.name ?? scope, key: parseLimitKey(keyText)!, keyText, limit: c.limit, exempt: c.exempt ?? [] };
  }
  return { rateLimits, maxConcurrent };
}

/** Whether a scope has any limit. */
export const hasLimits = (l: TrafficLimits | undefined): l is TrafficLimits => !!l && (l.rateLimits.length > 0 || l.maxConcurrent !== null);

/** Where a scope's rate limit `i` of `count` is, as the config spells it: `services.api.rate_limit[1]` (no index when it is the only one). */
export const rateLimitPath = (scopePath: string, i: number, count: number): string => `${scopePath ? `${scopePath}.` : ''}rate_limit${count > 1 ? `[${i}]` : ''}`;

/** `PATH: names PATH2 too` for each rate-limit name used twice across `scopes` (names key the counts, so each is one limit). */
export function limitNameProblems(scopes: ReadonlyArray<{ path: string; limits: TrafficLimits }>): Array<{ path: string; message: string; input: string }> {
  const seen = new Map<string, string>();
  const out: Array<{ path: string; message: string; input: string }> = [];
  for (const { path, limits } of scopes) {
    limits.rateLimits.forEach((r, i) => {
      const at = rateLimitPath(path, i, limits.rateLimits.length);
      const first = seen.get(r.name);
      if (first) out.push({ path: `${at}.name`, message: `names ${first} too; give each limit its own name`, input: r.name });
      else seen.set(r.name, at);
    });
  }
  return out;
}
