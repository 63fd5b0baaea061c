import type { PickContext } from '../policies/types.ts';
import type { PreparedBody } from './body.ts';
import type { Pool } from './pool.ts';
import type { AttemptReport } from './problems.ts';
import type { StickyValue } from './sticky.ts';
import type { RequestInfo } from './types.ts';

/** One client request across all its attempts: what they share, and what they found. */
export interface Exchange {
  readonly request: Request;
  readonly info: RequestInfo;
  readonly url: URL;
  /** Path and query as sent to the backend. */
  readonly path: string;
  readonly pick: PickContext;
  readonly body: PreparedBody;
  /** The request headers for the backend (hop-by-hop removed, X-Forwarded-* set). */
  readonly headers: Headers;
  /** The pool of this request (slow start may have ramped its weights); a queued request takes the pool of the moment it is offered a place. */
  pool: Pool;
  /** Balance over every server regardless of health (too few are healthy). */
  readonly panic: boolean;
  readonly startedAt: number;
  /** What the client's sticky cookie says, when sticky sessions are on and it has a valid one. */
  readonly sticky: StickyValue | null;
  /** Servers tried so far (never twice for one request). */
  readonly tried: Set<string>;
  /** Attempts that failed and did not give the answer. */
  readonly attempts: AttemptReport[];
}
