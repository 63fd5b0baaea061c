import type { RequestInfo } from '../core/types.ts';
import type { Admission, Gate } from './types.ts';

/**
 * Passes a request through `gates` in order, then hands it to `next`: the
 * first refusal is the answer (places taken by earlier gates are given
 * back); else `next` gets the request's info with every release chained
 * onto `settled`, and the gates' headers are set on its response.
 */
export async function admitThen(gates: readonly Gate[], request: Request, info: RequestInfo, now: number, next: (info: RequestInfo) => Promise<Response>): Promise<Response> {
  const releases: Array<() => void> = [];
  const headers: Array<readonly [string, string]> = [];
  for (const gate of gates) {
    let a: Admission;
    try {
      a = await gate.admit(request, info, now);
    } catch (e) {
      for (const r of releases) r();
      throw e;
    }
    if (a.refused) {
      for (const r of releases) r();
      info.settled?.();
      return a.refused;
    }
    if (a.release) releases.push(a.release);
    if (a.headers) headers.push(...a.headers);
  }
  let inner = info;
  if (releases.length) {
    const outer = info.settled;
    let done = false;
    inner = {
      ...info,
      settled: () => {
        if (done) return;
        done = true;
        for (const r of releases) r();
        outer?.();
      },
    };
  }
  let res: Response;
  try {
    res = await next(inner);
  } catch (e) {
    inner.settled?.();
    throw e;
  }
  for (const [k, v] of headers) res.headers.set(k, v);
  return res;
}
