import * as v from 'valibot';
import { algorithmNames } from '../policies/registry.ts';
import { storeNames } from '../storage/registry.ts';
import { parseBytes, parseDuration } from './duration.ts';
import { ServerSchema } from './server.ts';

/** True when `s` is `/pattern/flags` with a pattern JavaScript accepts. */
export function isRegex(s: string): boolean {
  const m = /^\/(.*)\/([a-z]*)$/s.exec(s);
  if (!m) return false;
  try {
    new RegExp(m[1], m[2]);
    return true;
  } catch {
    return false;
  }
}

const names = algorithmNames.join(', ');

const integer = (min: number, max: number, what = `an integer ${min}-${max}`) =>
  v.pipe(v.number(`must be ${what}`), v.integer(`must be ${what}`), v.minValue(min, `must be ${what}`), v.maxValue(max, `must be ${what}`));

/** Seconds as a number (`0.5`) or a string with a unit (`"500ms"`, `"10s"`); out: milliseconds. */
export const duration = v.pipe(
  v.union([v.number(), v.string()], 'must be seconds (a number) or a duration such as "500ms" or "10s"'),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const ms = parseDuration(dataset.value);
    if (ms === undefined) {
      addIssue({ message: 'must be seconds (a number ≥ 0) or a duration such as "500ms" or "10s"' });
      return NEVER;
    }
    return ms;
  }),
);

const positiveDuration = v.pipe(duration, v.minValue(1, 'must be more than 0'));

const bytes = v.pipe(
  v.union([v.number(), v.string()], 'must be bytes (an integer) or a size such as "64KiB"'),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const n = parseBytes(dataset.value);
    if (n === undefined) {
      addIssue({ message: 'must be bytes (an integer ≥ 0) or a size such as "64KiB" or "1MiB"' });
      return NEVER;
    }
    return n;
  }),
);

/** `200`, `"200-399"`, or a list of either; out: inclusive ranges. */
const expectedStatus = v.pipe(
  v.union([v.number(), v.string(), v.array(v.union([v.number(), v.string()]))], 'must be a status, a range such as "200-399", or a list of them'),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const items = Array.isArray(dataset.value) ? dataset.value : [dataset.value];
    const ranges: Array<[number, number]> = [];
    for (const item of items) {
      const m = /^\s*(\d{3})\s*(?:-\s*(\d{3}))?\s*$/.exec(String(item));
      const lo = m ? Number(m[1]) : NaN;
      const hi = m?.[2] ? Number(m[2]) : lo;
      if (!m || lo < 100 || hi > 599 || lo > hi) {
        addIssue({ message: 'must be a status 100-599 or a range such as "200-399"' });
        return NEVER;
      }
      ranges.push([lo, hi]);
    }
    return ranges;
  }),
);

const hashKey = v.pipe(
  v.string('must be a string'),
  v.regex(/^(path|uri|ip|(header|cookie|query):[^\s:]+)$/, 'must be path, uri, ip, header:NAME, cookie:NAME or query:NAME'),
);

/** The key sticky-session tokens are signed with (HMAC-SHA-256). */
export const stickySecret = v.pipe(v.string('must be a string'), v.minLength(16, 'must be at least 16 characters'));

/** The whole config file (seed 004's format, extended). Every section optional; unknown keys rejected. */
export const FileSchema = v.strictObject({
  load_balancer: v.optional(
    v.strictObject({
      host: v.optional(v.pipe(v.string('must be a host name or IP address'), v.minLength(1, 'must not be empty'))),
      port: v.optional(integer(0, 65535, 'an integer 0-65535 (0: any free port)')),
      algorithm: v.optional(v.picklist(algorithmNames, `must be one of ${names}`)),
    }),
  ),
  servers: v.optional(v.array(ServerSchema, 'must be a list of servers')),
  health_check: v.optional(
    v.strictObject({
      enabled: v.optional(v.boolean('must be true or false')),
      interval: v.optional(positiveDuration),
      timeout: v.optional(positiveDuration),
      retries: v.optional(integer(1, 100)),
      path: v.optional(v.pipe(v.string('must be a path'), v.startsWith('/', 'must start with /'))),
      expected_status: v.optional(expectedStatus),
      rise: v.optional(integer(1, 100)),
      fall: v.optional(integer(1, 100)),
      method: v.optional(v.picklist(['GET', 'HEAD', 'OPTIONS', 'POST'], 'must be one of GET, HEAD, OPTIONS, POST')),
      expected_body: v.optional(
        v.pipe(
          v.string('must be a substring, or a /regular expression/'),
          v.check((s) => !/^\/.*\/[a-z]*$/s.test(s) || isRegex(s), 'must be a valid /regular expression/'),
        ),
      ),
      headers: v.optional(v.record(v.pipe(v.string(), v.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be a header name')), v.string('must be a string'))),
      fast_interval: v.optional(positiveDuration),
      down_interval: v.optional(positiveDuration),
      jitter: v.optional(v.pipe(v.number('must be a fraction 0-0.5'), v.minValue(0, 'must be a fraction 0-0.5'), v.maxValue(0.5, 'must be a fraction 0-0.5'))),
      initial_state: v.optional(v.picklist(['healthy', 'unhealthy'], 'must be healthy or unhealthy')),
    }),
  ),
  passive_health: v.optional(
    v.strictObject({
      enabled: v.optional(v.boolean('must be true or false')),
      max_fails: v.optional(integer(1, 1000)),
      fail_timeout: v.optional(positiveDuration),
      on_status: v.optional(v.array(integer(500, 599, 'a status 500-599'), 'must be a list of statuses 500-599')),
      max_ejection_percent: v.optional(integer(0, 100)),
      max_ejection_time: v.optional(positiveDuration),
    }),
  ),
  circuit_breaker: v.optional(
    v.strictObject({
      enabled: v.optional(v.boolean('must be true or false')),
      failure_threshold: v.optional(integer(1, 1000)),
      open_duration: v.optional(positiveDuration),
      half_open_requests: v.optional(integer(1, 1000)),
    }),
  ),
  retry_on: v.optional(
    v.array(
      v.union([v.picklist(['connect', 'reset', 'timeout']), integer(500, 599, 'a status 500-599')], 'must be connect, reset, timeout or a status 500-599'),
      'must be a list such as ["reset", "timeout", 503]',
    ),
  ),
  try_duration: v.optional(duration),
  retry_backoff: v.optional(v.strictObject({ base: v.optional(duration), max: v.optional(duration) })),
  retry_budget: v.optional(
    v.strictObject({
      budget_percent: v.optional(v.pipe(v.number('must be a percentage 0-100'), v.minValue(0, 'must be a percentage 0-100'), v.maxValue(100, 'must be a percentage 0-100'))),
      min_retries_per_second: v.optional(integer(0, 100_000)),
    }),
  ),
  slow_start: v.optional(duration),
  sticky: v.optional(
    v.strictObject({
      enabled: v.optional(v.boolean('must be true or false')),
      cookie: v.optional(v.pipe(v.string('must be a cookie name'), v.regex(/^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,64}$/, 'must be a cookie name (letters, digits, - _ . and the like)'))),
      ttl: v.optional(positiveDuration),
      secure: v.optional(v.boolean('must be true or false')),
      same_site: v.optional(v.picklist(['Lax', 'Strict', 'None'], 'must be one of Lax, Strict, None')),
      secret: v.optional(stickySecret),
    }),
  ),
  panic_threshold: v.optional(v.pipe(v.number('must be a percentage 0-100'), v.minValue(0, 'must be a percentage 0-100'), v.maxValue(100, 'must be a percentage 0-100'))),
  consistent_hash: v.optional(
    v.strictObject({
      virtual_nodes: v.optional(integer(1, 10_000)),
      hash_function: v.optional(v.picklist(['fnv1a', 'djb2', 'md5', 'sha1'], 'must be one of fnv1a, djb2, md5, sha1')),
      key: v.optional(hashKey),
      balance_factor: v.optional(v.pipe(v.number('must be a number above 1'), v.gtValue(1, 'must be a number above 1'))),
    }),
  ),
  timeout: v.optional(positiveDuration),
  retries: v.optional(integer(0, 10)),
  replay_buffer: v.optional(bytes),
  served_by_header: v.optional(
    v.union([v.literal(false), v.pipe(v.string(), v.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]*$/, 'must be a header name'))], 'must be a header name, "" or false'),
  ),
  admin: v.optional(
    v.strictObject({
      prefix: v.optional(v.pipe(v.string('must be a path'), v.regex(/^\/[A-Za-z0-9._~\-/]*$/, 'must be a path such as /api'))),
      token: v.optional(v.pipe(v.string('must be a string'), v.minLength(8, 'must be at least 8 characters'))),
    }),
  ),
  access_log: v.optional(v.picklist(['off', 'json', 'combined'], 'must be one of off, json, combined')),
  cors: v.optional(
    v.strictObject({
      origins: v.array(v.pipe(v.string('must be an origin such as https://ops.example.com, or *'), v.regex(/^(\*|https?:\/\/[^/\s]+)$/, 'must be an origin such as https://ops.example.com, or *')), 'must be a list of origins'),
    }),
  ),
  storage: v.optional(v.picklist(storeNames, `must be one of ${storeNames.join(', ')}`)),
  log_level: v.optional(v.picklist(['debug', 'info', 'warn', 'error', 'silent'], 'must be one of debug, info, warn, error, silent')),
});

export type FileInput = v.InferInput<typeof FileSchema>;
export type FileOutput = v.InferOutput<typeof FileSchema>;
