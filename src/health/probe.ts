import type { Backend, ProbeResult } from '../core/types.ts';
import type { Transport } from '../transport/types.ts';

/** Checks one backend. Never rejects: every failure is a result with `ok: false`. */
export interface HealthProbe {
  check(backend: Backend, signal?: AbortSignal): Promise<ProbeResult>;
}

export interface HttpProbeOptions {
  path: string;
  timeoutMs: number;
  /** Inclusive status ranges that count as passing. */
  expectedStatus: Array<[number, number]>;
  now?: () => number;
}

/** True when `status` falls in one of the inclusive ranges. */
export function statusMatches(status: number, ranges: Array<[number, number]>): boolean {
  return ranges.some(([lo, hi]) => status >= lo && status <= hi);
}

/** An HTTP GET of `path` through the transport, passing on an expected status within the timeout. */
export function httpProbe(transport: Transport, options: HttpProbeOptions): HealthProbe {
  const now = options.now ?? (() => performance.now());
  return {
    async check(backend, outer) {
      const started = now();
      const signal = outer
        ? AbortSignal.any([outer, AbortSignal.timeout(options.timeoutMs)])
        : AbortSignal.timeout(options.timeoutMs);
      try {
        const headers = new Headers({ 'user-agent': 'switchyard-health-check', accept: '*/*' });
        const res = await transport.send({ method: 'GET', path: options.path, headers, body: null }, backend, signal);
        await res.body?.cancel().catch(() => {});
        const ok = statusMatches(res.status, options.expectedStatus);
        return { ok, status: res.status, latencyMs: now() - started, ...(ok ? {} : { error: `status ${res.status}` }) };
      } catch (error) {
        const kind = (error as { kind?: string }).kind ?? 'error';
        return { ok: false, latencyMs: now() - started, error: kind };
      }
    },
  };
}
