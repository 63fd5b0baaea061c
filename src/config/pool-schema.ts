/**
 * The settings of a pool of servers: what the top level of a config file
 * sets for every service, and what each service may set for itself.
 */
import * as v from 'valibot';
import { compressionPoolEntries } from './compression-schema.ts';
import { backendTlsEntries } from './backend-tls.ts';
import { trafficPoolEntries } from './traffic-schema.ts';
import { websocketPoolEntries } from './websocket-schema.ts';
import { bytes, duration, expectedStatus, hashKey, integer, isRegex, objectOnly, percent, positiveDuration, section } from './fields.ts';

/** The key sticky-session tokens are signed with (HMAC-SHA-256). */
export const stickySecret = v.pipe(v.string('must be a string'), v.minLength(16, 'must be at least 16 characters'));

/** Every pool setting, each optional: spread into the top-level and the service schemas. */
export const poolEntries = {
  health_check: v.optional(
    section({
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
      headers: v.optional(objectOnly(v.record(v.pipe(v.string(), v.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be a header name')), v.string('must be a string'), 'must be an object of headers'), 'must be an object of headers')),
      fast_interval: v.optional(positiveDuration),
      down_interval: v.optional(positiveDuration),
      jitter: v.optional(v.pipe(v.number('must be a fraction 0-0.5'), v.minValue(0, 'must be a fraction 0-0.5'), v.maxValue(0.5, 'must be a fraction 0-0.5'))),
      initial_state: v.optional(v.picklist(['healthy', 'unhealthy'], 'must be healthy or unhealthy')),
    }),
  ),
  passive_health: v.optional(
    section({
      enabled: v.optional(v.boolean('must be true or false')),
      max_fails: v.optional(integer(1, 1000)),
      fail_timeout: v.optional(positiveDuration),
      on_status: v.optional(v.array(integer(500, 599, 'a status 500-599'), 'must be a list of statuses 500-599')),
      max_ejection_percent: v.optional(integer(0, 100)),
      max_ejection_time: v.optional(positiveDuration),
    }),
  ),
  circuit_breaker: v.optional(
    section({
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
  retry_backoff: v.optional(section({ base: v.optional(duration), max: v.optional(duration) })),
  retry_budget: v.optional(
    section({
      budget_percent: v.optional(percent),
      min_retries_per_second: v.optional(integer(0, 100_000)),
    }),
  ),
  slow_start: v.optional(duration),
  sticky: v.optional(
    section({
      enabled: v.optional(v.boolean('must be true or false')),
      cookie: v.optional(v.pipe(v.string('must be a cookie name'), v.regex(/^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,64}$/, 'must be a cookie name (letters, digits, - _ . and the like)'))),
      ttl: v.optional(positiveDuration),
      secure: v.optional(v.boolean('must be true or false')),
      same_site: v.optional(v.picklist(['Lax', 'Strict', 'None'], 'must be one of Lax, Strict, None')),
      secret: v.optional(stickySecret),
    }),
  ),
  panic_threshold: v.optional(percent),
  consistent_hash: v.optional(
    section({
      virtual_nodes: v.optional(integer(1, 10_000)),
      hash_function: v.optional(v.picklist(['fnv1a', 'djb2', 'md5', 'sha1'], 'must be one of fnv1a, djb2, md5, sha1')),
      key: v.optional(hashKey),
      balance_factor: v.optional(v.pipe(v.number('must be a number above 1'), v.gtValue(1, 'must be a number above 1'))),
    }),
  ),
  timeout: v.optional(positiveDuration),
  retries: v.optional(integer(0, 10)),
  replay_buffer: v.optional(bytes),
  ...trafficPoolEntries,
  ...compressionPoolEntries,
  ...websocketPoolEntries,
  ...backendTlsEntries,
};

/** The object-valued pool settings: a service that sets some of their fields inherits the rest. */
export const POOL_SECTIONS = ['health_check', 'passive_health', 'circuit_breaker', 'retry_backoff', 'retry_budget', 'sticky', 'consistent_hash', 'compression', 'websocket', 'tls'] as const;

const poolSchema = v.strictObject(poolEntries);

/** Pool settings as validated (durations in ms). */
export type PoolInput = v.InferOutput<typeof poolSchema>;
