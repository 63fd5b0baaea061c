import type { Backend, ProbeResult } from '../core/types.ts';
import { discardBody, type Transport, type UpstreamResponse } from '../transport/types.ts';

/** Checks one backend. Never rejects: every failure is a result with `ok: false`. */
export interface HealthProbe {
  check(backend: Backend, signal?: AbortSignal): Promise<ProbeResult>;
}

export interface HttpProbeOptions {
  path: string;
  method?: string;
  headers?: Record<string, string>;
  /** A substring the body must contain, or `/regex/flags`. */
  expectedBody?: string;
  timeoutMs: number;
  /** Inclusive status ranges that count as passing. */
  expectedStatus: Array<[number, number]>;
  now?: () => number;
}

/** True when `status` falls in one of the inclusive ranges. */
export function statusMatches(status: number, ranges: Array<[number, number]>): boolean {
  return ranges.some(([lo, hi]) => status >= lo && status <= hi);
}

/** A matcher for `expected_body`: substring, or `/regex/flags`. */
export function bodyMatcher(expected: string): (body: string) => boolean {
  const m = /^\/(.*)\/([a-z]*)$/s.exec(expected);
  if (m) {
    const re = new RegExp(m[1], m[2]);
    return (body) => re.test(body);
  }
  return (body) => body.includes(expected);
}

/** Largest body read to match `expected_body`. */
const BODY_LIMIT = 64 * 1024;

/**
 * An HTTP request (`method`, default GET) of `path` through the transport,
 * passing on an expected status (and body, when set) within the timeout.
 */
export function httpProbe(transport: Transport, options: HttpProbeOptions): HealthProbe {
  const now = options.now ?? (() => performance.now());
  const matches = options.expectedBody !== undefined ? bodyMatcher(options.expectedBody) : undefined;
  return {
    async check(backend, outer) {
      const started = now();
      const signal = outer
        ? AbortSignal.any([outer, AbortSignal.timeout(options.timeoutMs)])
        : AbortSignal.timeout(options.timeoutMs);
      try {
        const headers = new Headers({ 'user-agent': 'switchyard-health-check', accept: '*/*', ...options.headers });
        const method = options.method ?? 'GET';
        const res = await transport.send({ method, path: options.path, headers, body: null }, backend, signal);
        const statusOk = statusMatches(res.status, options.expectedStatus);
        let bodyOk = true;
        if (statusOk && matches) bodyOk = matches((await readText(res, BODY_LIMIT)).text);
        else discardBody(res.body);
        const ok = statusOk && bodyOk;
        const error = !statusOk ? `status ${res.status}` : !bodyOk ? 'body does not match expected_body' : undefined;
        return { ok, status: res.status, latencyMs: now() - started, ...(error ? { error } : {}) };
      } catch (error) {
        const kind = (error as { kind?: string }).kind ?? 'error';
        return { ok: false, latencyMs: now() - started, error: kind };
      }
    },
  };
}

/** Reads at most `limit` bytes of a body as text, then cancels the rest. */
async function readText(res: UpstreamResponse, limit: number): Promise<{ text: string }> {
  if (!res.body) return { text: '' };
  if (res.body instanceof Uint8Array) return { text: new TextDecoder().decode(res.body.subarray(0, limit)) };
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  while (size < limit) {
    const { done, value } = await reader.read();
    if (done) return { text };
    size += value.byteLength;
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel().catch(() => {});
  return { text };
}
