import type { ServerConfig } from '../config/types.ts';
import type { ServeFn, Served } from '../runtime/types.ts';
import { demoBackend } from './backend.ts';

/** The seeds' three test servers: one plain, one 100 ms slower, one 200 ms slower. */
export const DEMO_DELAYS_MS = [0, 100, 200];

/** Starts the demo backends on free loopback ports; `close` stops them all. */
export async function startDemoBackends(host: string, serveFetch: ServeFn): Promise<{ servers: ServerConfig[]; close(): Promise<void> }> {
  const bind = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const served: Served[] = [];
  const servers: ServerConfig[] = [];
  for (const [i, delayMs] of DEMO_DELAYS_MS.entries()) {
    const name = `Backend Server ${i + 1}`;
    const app = demoBackend({ name, delayMs });
    const s = await serveFetch((req) => app.fetch(req), { hostname: bind, port: 0 });
    served.push(s);
    servers.push({ url: `http://${bind.includes(':') ? `[${bind}]` : bind}:${s.port}`, name, weight: 1, backup: false });
  }
  return { servers, close: async () => void (await Promise.all(served.map((s) => s.close()))) };
}
