/**
 * Load shedding (`shed_percent`, Cloudflare's pool load shedding): a service
 * refuses that share of its new requests with 503 and `Retry-After`, taking
 * them from the least important traffic first. Requests fall in three
 * classes, shed in this order:
 *
 * 1. low priority (`priority`: the request's header holds one of the `low` values);
 * 2. normal requests without a sticky session;
 * 3. requests with an existing sticky session (cut off last: their users are mid-way through something).
 *
 * The decision (`shedProbabilities`) is pure; the gate measures each class's
 * recent share of the service's traffic and draws against it.
 */
import type { PoolSettings } from '../config/types.ts';
import type { Pool } from '../core/pool.ts';
import { problemResponse, type Problem } from '../core/problems.ts';
import type { RequestDone } from '../core/respond.ts';
import type { Totals } from '../core/stats.ts';
import { readSticky, type StickyTokens } from '../core/sticky.ts';
import type { RequestInfo } from '../core/types.ts';
import { isLowPriority } from './priority.ts';
import type { Admission, Gate } from './types.ts';

/** The classes, in the order they are shed: `SHED_CLASSES[c]` names class `c`. */
export const SHED_CLASSES = ['low_priority', 'no_session', 'session'] as const;
export type ShedClass = 0 | 1 | 2;

/** How fast the measured shares forget: a request counts e times less after this long (the window is about this). */
export const SHARE_DECAY_MS = 10_000;

/** Below this much of the traffic left to shed, nothing more is shed (float rounding, not policy). */
const EPSILON = 1e-9;

/**
 * The probability each class is shed with, so that `percent` (0-100) of all
 * traffic is shed, lowest class first: class 0 takes as much as it can (all
 * of it, if its share is under the percent), the next class the rest, and so
 * on. `shares` are each class's recent traffic, in any unit (counts or
 * fractions): only their ratios matter.
 *
 * A class with no measured traffic is shed in full while any of the percent is
 * left after the classes below it (should such a request come, it is the
 * cheapest to refuse). With no measured traffic at all, every class is shed
 * with the percent itself: without a mix to go by, the share shed is right
 * whatever the mix turns out to be. 100% sheds everything; 0 (or less) nothing.
 */
export function shedProbabilities(percent: number, shares: readonly number[]): [number, number, number] {
  if (!(percent > 0)) return [0, 0, 0];
  if (percent >= 100) return [1, 1, 1];
  const total = shares[0] + shares[1] + shares[2];
  const target = percent / 100;
  if (!(total > 0)) return [target, target, target];
  let left = target;
  const out: [number, number, number] = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    if (left <= EPSILON) break;
    const share = shares[c] / total;
    const p = share > left ? left / share : 1;
    out[c] = p;
    left -= p * share;
  }
  return out;
}

/** `Retry-After` for a shed request, in seconds: a tenth of the percent, 1-10 (see `ShedGate`). */
export function shedRetryAfterS(percent: number): number {
  return Math.min(10, Math.max(1, Math.ceil(percent / 10)));
}

/**
 * Each class's recent traffic as counts that decay exponentially with time
 * (`decayMs`), so the shares follow the mix of the last ten seconds or so.
 * Time is given, never read. Constant memory.
 */
export class ClassMeter {
  private readonly counts = [0, 0, 0];
  private at = -Infinity;
  private readonly decayMs: number;

  constructor(decayMs = SHARE_DECAY_MS) {
    this.decayMs = decayMs;
  }

  /** Counts one request of class `c` at `now`; gives back every class's count after it. */
  observe(c: ShedClass, now: number): readonly number[] {
    this.decay(now);
    this.counts[c]++;
    return this.counts;
  }

  /** Every class's count at `now`. */
  shares(now: number): readonly number[] {
    this.decay(now);
    return this.counts;
  }

  private decay(now: number): void {
    if (now <= this.at) return;
    if (this.at !== -Infinity) {
      const f = Math.exp((this.at - now) / this.decayMs);
      for (let c = 0; c < 3; c++) this.counts[c] *= f;
    }
    this.at = now;
  }
}

/** What the gate needs of its service (a `Service` is one). */
export interface ShedTarget {
  readonly name: string;
  readonly settings: PoolSettings;
  readonly pool: Pool;
  readonly totals: Totals;
  /** The tokens this service's sticky cookies carry (undefined while sticky is off or the secret is unknown). */
  stickyTokens(): StickyTokens | undefined;
}

/** What the gate takes from the balancer. */
export interface ShedDeps {
  random: () => number;
  /** The service's run-time `shed_percent` (the services document's); undefined: the settings' own. */
  shedOverride?: (service: string) => number | undefined;
  /** The access log. */
  onDone?: (entry: RequestDone) => void;
}

/**
 * Whether the request carries a valid sticky session of `target`: its cookie
 * is in the service's format, was issued within the session ttl, and its
 * token names one of the service's servers (a backup one only while the
 * service has no primary).
 */
export function hasSession(request: Request, target: ShedTarget, now: number): boolean {
  const sticky = target.settings.sticky;
  if (!sticky) return false;
  const cookie = request.headers.get('cookie');
  if (cookie === null) return false;
  const value = readSticky(cookie, sticky.cookie);
  if (!value || now / 1000 - value.issuedAt >= sticky.ttlMs / 1000) return false;
  const tokens = target.stickyTokens();
  return tokens !== undefined && tokens.backend(target.pool, value.token, () => true) !== undefined;
}

/** The class of one request of `target`'s. */
export function requestClass(request: Request, target: ShedTarget, now: number): ShedClass {
  if (isLowPriority(request.headers, target.settings.priority)) return 0;
  return hasSession(request, target, now) ? 2 : 1;
}

/** The 503 problem of a shed request. */
export function sheddingProblem(service: string, percent: number, retryAfterS: number, path?: string): Problem {
  return {
    type: 'urn:switchyard:problem:shedding-load',
    title: 'Shedding load',
    status: 503,
    detail: `Service ${service} is shedding ${percent}% of its load; try again in ${retryAfterS} s.`,
    service,
    shed_percent: percent,
    ...(path ? { instance: path } : {}),
  };
}

const PASS: Admission = Object.freeze({});

/**
 * A service's load shedding, as the gate before its retry loop. Reads the
 * effective percent per request (the services document's override, else the
 * settings'): at 0 it lets the request through at once, measuring nothing.
 * Otherwise it counts the request into its class's share and refuses it with
 * that class's probability: 503 problem+json naming the service and the
 * percent, with `Retry-After` of a tenth of the percent in seconds (1 at up
 * to 10%, 5 at 50%, 10 at 100%). A shed request is drawn anew on each try, so
 * light shedding lets a retry in soon; heavy shedding spreads retries out
 * over the ten seconds the shares are measured over, instead of sending them
 * back while the service is still overloaded. Refusals are counted
 * (`refused`), in the service's totals as failed 503s, and in the access log.
 */
export class ShedGate implements Gate {
  /** Requests refused so far (this process or isolate). */
  refused = 0;
  private readonly meter = new ClassMeter();
  private readonly target: ShedTarget;
  private readonly deps: ShedDeps;

  constructor(target: ShedTarget, deps: ShedDeps) {
    this.target = target;
    this.deps = deps;
  }

  /** The percent shed now: the run-time override, else the settings'. */
  percent(): number {
    return this.deps.shedOverride?.(this.target.name) ?? this.target.settings.shedPercent;
  }

  /** Where the percent comes from: the config (or the service's own settings), or the API's override. */
  source(): 'config' | 'api' {
    return this.deps.shedOverride?.(this.target.name) === undefined ? 'config' : 'api';
  }

  /** Each class's measured share of the traffic (fractions; all 0 before any request was measured). */
  shares(now: number): Record<(typeof SHED_CLASSES)[number], number> {
    const s = this.meter.shares(now);
    const total = s[0] + s[1] + s[2];
    const f = (x: number) => (total > 0 ? Math.round((x / total) * 1000) / 1000 : 0);
    return { low_priority: f(s[0]), no_session: f(s[1]), session: f(s[2]) };
  }

  admit(request: Request, info: RequestInfo, now: number): Admission {
    const percent = this.percent();
    if (!(percent > 0)) return PASS;
    const c = requestClass(request, this.target, now);
    const p = shedProbabilities(percent, this.meter.observe(c, now))[c];
    if (p <= 0 || (p < 1 && this.deps.random() >= p)) return PASS;
    return { refused: this.refuse(request, info, percent, now) };
  }

  private refuse(request: Request, info: RequestInfo, percent: number, now: number): Response {
    this.refused++;
    const retryAfterS = shedRetryAfterS(percent);
    let path: string | undefined;
    try {
      path = new URL(request.url).pathname;
    } catch {}
    const res = problemResponse(sheddingProblem(this.target.name, percent, retryAfterS, path), { 'retry-after': String(retryAfterS) });
    const t = this.target.totals;
    t.count(false, now);
    t.answered(503);
    this.deps.onDone?.({ request, clientIp: info.clientIp, service: this.target.name, status: 503, server: null, attempts: 0, startedAt: now, durationMs: 0, bytes: Number(res.headers.get('content-length') ?? 0) });
    return res;
  }
}
