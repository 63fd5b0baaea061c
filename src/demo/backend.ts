import { Hono } from 'hono/tiny';

export interface DemoBackendOptions {
  /** Shown as `handled_by` / `X-Backend-Name` (seed 000). */
  name: string;
  /** Added to every response except `/health`, in ms. */
  delayMs?: number;
  /** Share of requests answered 500, 0..1. */
  failRate?: number;
  random?: () => number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The seeds' test server as a web-standard app: `/health`, and an echo of
 * every other request (method, path, query, headers, body size) as JSON.
 * `?delay=SECONDS` adds a delay to one request; `?status=N` answers with N.
 */
export function demoBackend(options: DemoBackendOptions): Hono {
  const random = options.random ?? Math.random;
  let served = 0;
  const app = new Hono();
  app.get('/health', (c) => c.json({ status: 'healthy', server: options.name, requests_served: served }));
  app.all('*', async (c) => {
    served++;
    const q = Number(c.req.query('delay') ?? NaN);
    const delay = (options.delayMs ?? 0) + (Number.isFinite(q) && q > 0 ? Math.min(q, 60) * 1000 : 0);
    if (delay) await sleep(delay);
    const bytes = c.req.raw.body ? (await c.req.arrayBuffer()).byteLength : 0;
    c.header('x-backend-name', options.name);
    if (options.failRate && random() < options.failRate) {
      return c.json({ error: 'injected failure', handled_by: options.name }, 500);
    }
    const status = Number(c.req.query('status') ?? 200);
    return c.json(
      {
        handled_by: options.name,
        method: c.req.method,
        path: c.req.path,
        query: c.req.query(),
        headers: Object.fromEntries(c.req.raw.headers),
        body_bytes: bytes,
        delay_ms: delay,
        requests_served: served,
      },
      (status >= 200 && status <= 599 ? status : 200) as 200,
    );
  });
  return app;
}
