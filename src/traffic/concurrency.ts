/**
 * `max_concurrent` as a gate (nginx `limit_conn`, Traefik `inFlightReq`):
 * requests in progress per key, one place taken on admission and given back
 * when the balancer is done with the request; past the limit, 429.
 */
import type { Problem } from '../core/problems.ts';
import type { RequestInfo } from '../core/types.ts';
import { inAnyRange } from './cidr.ts';
import type { ConcurrencyConfig } from './config.ts';
import type { ConcurrencyCounts } from './counters.ts';
import { limitKeyOf } from './keys.ts';
import { pathOf, type Refuse } from './rate-limit.ts';
import type { Admission, Gate } from './types.ts';

const PASS: Admission = Object.freeze({});

/** Seconds a client over its concurrency cap is told to wait (a place frees when one of its requests ends). */
export const CONCURRENCY_RETRY_AFTER_S = 1;

/** The 429 problem of a request over `cap`. */
export function tooManyInProgressProblem(cap: ConcurrencyConfig, path?: string): Problem {
  return {
    type: 'urn:switchyard:problem:too-many-in-progress',
    title: 'Too many requests in progress',
    status: 429,
    detail: `max_concurrent ${cap.name} allows ${cap.limit} request(s) in progress per ${cap.keyText}, and this ${cap.keyText === 'route' ? 'scope' : 'client'} has that many.`,
    limit: cap.name,
    max_concurrent: cap.limit,
    key: cap.keyText,
    ...(path ? { instance: path } : {}),
  };
}

/** One concurrency cap's gate over `counts`. Always synchronous. */
export class ConcurrencyGate implements Gate {
  readonly cap: ConcurrencyConfig;
  private readonly counts: ConcurrencyCounts;
  private readonly refuse: Refuse;
  private readonly exempt: ((ip: string) => boolean) | undefined;

  constructor(cap: ConcurrencyConfig, counts: ConcurrencyCounts, refuse: Refuse) {
    this.cap = cap;
    this.counts = counts;
    this.refuse = refuse;
    this.exempt = cap.exempt.length ? inAnyRange(cap.exempt) : undefined;
  }

  admit(request: Request, info: RequestInfo, now: number): Admission {
    if (this.exempt?.(info.clientIp)) return PASS;
    const key = limitKeyOf(this.cap.key, request, info);
    const counts = this.counts;
    const n = counts.perKey.get(key) ?? 0;
    if (n >= this.cap.limit) {
      counts.refused++;
      return { refused: this.refuse(request, info, tooManyInProgressProblem(this.cap, pathOf(request)), [['retry-after', String(CONCURRENCY_RETRY_AFTER_S)]], now) };
    }
    counts.perKey.set(key, n + 1);
    counts.inProgress++;
    let given = false;
    return {
      release: () => {
        if (given) return;
        given = true;
        counts.inProgress--;
        const left = (counts.perKey.get(key) ?? 1) - 1;
        if (left > 0) counts.perKey.set(key, left);
        else counts.perKey.delete(key);
      },
    };
  }
}
