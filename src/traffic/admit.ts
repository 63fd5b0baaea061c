import type { RequestInfo } from '../core/types.ts';
import type { Admission, Gate } from './types.ts';

/** Whether a gate or store answered later (a promise) rather than at once. */
export const isPromise = <T>(x: T | Promise<T>): x is Promise<T> => typeof (x as { then?: unknown } | undefined)?.then === 'function';

/**
 * Passes a request through `gates` in order, then hands it to `next`: the
 * first refusal is the answer (places taken by earlier gates are given
 * back, and `info.settled` is called); else `next` gets the request's info
 * with every release chained onto `settled`, and the gates' headers are
 * appended to its response. Gates that answer synchronously cost no
 * microtask: only a gate that returns a promise is waited for.
 */
export function admitThen(gates: readonly Gate[], request: Request, info: RequestInfo, now: number, next: (info: RequestInfo) => Promise<Response>): Promise<Response> {
  const releases: Array<() => void> = [];
  const headers: Array<readonly [string, string]> = [];
  const giveBack = () => {
    for (const r of releases) r();
  };
  /** Takes one gate's answer: the refusal to return, or undefined to go on. */
  const take = (a: Admission): Promise<Response> | undefined => {
    if (a.refused) {
      giveBack();
      info.settled?.();
      return Promise.resolve(a.refused);
    }
    if (a.release) releases.push(a.release);
    if (a.headers) headers.push(...a.headers);
    return undefined;
  };
  const step = (from: number): Promise<Response> => {
    for (let i = from; i < gates.length; i++) {
      let a: Admission | Promise<Admission>;
      try {
        a = gates[i].admit(request, info, now);
      } catch (e) {
        giveBack();
        return Promise.reject(e);
      }
      if (isPromise(a)) {
        return a.then(
          (x) => take(x) ?? step(i + 1),
          (e) => {
            giveBack();
            throw e;
          },
        );
      }
      const refused = take(a);
      if (refused) return refused;
    }
    return proceed();
  };
  const proceed = (): Promise<Response> => {
    if (!releases.length) return headers.length ? next(info).then((res) => withHeaders(res, headers)) : next(info);
    const outer = info.settled;
    let done = false;
    const inner: RequestInfo = {
      ...info,
      settled: () => {
        if (done) return;
        done = true;
        giveBack();
        outer?.();
      },
    };
    let pending: Promise<Response>;
    try {
      pending = next(inner);
    } catch (e) {
      inner.settled!();
      return Promise.reject(e);
    }
    return pending.then(
      (res) => (headers.length ? withHeaders(res, headers) : res),
      (e) => {
        inner.settled!();
        throw e;
      },
    );
  };
  return step(0);
}

/** `res` with `headers` appended (a response whose headers are immutable is copied first). */
function withHeaders(res: Response, headers: ReadonlyArray<readonly [string, string]>): Response {
  try {
    for (const [k, v] of headers) res.headers.append(k, v);
    return res;
  } catch {
    // A switch of protocols (a Worker's 101 carrying its WebSocket) is handed on as it is: a copy would lose the socket.
    if (res.status === 101) return res;
    const copy = new Response(res.body, res);
    for (const [k, v] of headers) copy.headers.append(k, v);
    return copy;
  }
}
