import type { PickContext } from '../policies/types.ts';
import type { Guards } from './guards.ts';
import type { Pool } from './pool.ts';
import type { RuntimeTable } from './records.ts';
import type { StickyTokens, StickyValue } from './sticky.ts';
import type { Backend } from './types.ts';

/** What one choice of a server looks at: the request's pool and pick context, the servers it tried, panic, its sticky session. */
export interface Choice {
  pool: Pool;
  pick: PickContext;
  tried: ReadonlySet<string>;
  panic: boolean;
  sticky: StickyValue | null;
  tokens: StickyTokens | undefined;
}

/**
 * The best server not tried yet, below its max_conns, that can take a request
 * at `now`: a session's own server on the first try when it can, else the
 * policy's pick. The one choice the retry loop and a WebSocket upgrade make.
 */
export function chooseServer(c: Choice, guards: Guards, records: RuntimeTable, now: number): Backend | undefined {
  const accept = (b: Backend) => !c.tried.has(b.id) && records.belowCap(b) && guards.available(b, now, c.panic);
  return (c.sticky && !c.tried.size && c.tokens?.backend(c.pool, c.sticky.token, accept)) || c.pool.pick(c.pick, accept);
}
