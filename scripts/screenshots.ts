/**
 * Regenerates the README's screenshots (docs/dashboard.png, docs/monitor.png):
 * starts the seeds' three demo backends (0, 100 and 200 ms slower) as the
 * default service, a canary service `web_next` that a route sends 10% of the
 * site's clients to, and an `api` service under /v2/; sends traffic from
 * several client addresses, drains one server, then photographs the
 * dashboard and the output of `switchyard monitor --once` in headless
 * Chromium (Debian's /usr/bin/chromium).
 *
 *   node --import tsx scripts/screenshots.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { Agent, request } from 'undici';
import { serve } from '#runtime';
import { demoBackend } from '../src/demo/backend.ts';
import { startDemoBackends } from '../src/demo/start.ts';
import { ROOT, startEntry, writeConfig } from '../test/conformance/harness.ts';

const OUT = join(ROOT, 'docs');
mkdirSync(OUT, { recursive: true });

const demo = await startDemoBackends('127.0.0.1', serve);
const extra = await Promise.all(
  [
    { name: 'web-next 1', delayMs: 30 },
    { name: 'api 1', delayMs: 10 },
    { name: 'api 2', delayMs: 15 },
  ].map(async (o) => ({ name: o.name, served: await serve((req) => demoBackend(o).fetch(req), { hostname: '127.0.0.1', port: 0 }) })),
);
const url = (i: number) => ({ url: `http://127.0.0.1:${extra[i].served.port}`, name: extra[i].name });
const lb = await startEntry('node', [
  '--config',
  writeConfig({
    load_balancer: { port: 0 },
    servers: demo.servers,
    services: { web_next: { servers: [url(0)], sticky: {} }, api: { servers: [url(1), url(2)], algorithm: 'least_connections' } },
    routes: [
      { name: 'api', match: { path_prefix: '/v2/' }, service: 'api', strip_prefix: true },
      { name: 'site', match: { path_prefix: '/' }, split: [{ service: 'default', weight: 90 }, { service: 'web_next', weight: 10 }] },
    ],
    health_check: { interval: 2 },
    log_level: 'warn',
  }),
]);
// Clients on several loopback addresses: the split keeps each one on its side by its address.
const clients = Array.from({ length: 40 }, (_, i) => new Agent({ localAddress: `127.0.0.${i + 2}` }));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
try {
  const send = async (n: number, path: string, client: Agent) => {
    for (let i = 0; i < n; i++) await (await request(`${lb.url}${path}?i=${i}`, { dispatcher: client })).body.arrayBuffer();
  };
  const page = await browser.newPage({ viewport: { width: 1280, height: 1320 } });
  await page.goto(`${lb.url}/api/dashboard`);
  // Traffic in a few waves, so the charts over time have a shape.
  for (let wave = 0; wave < 5; wave++) {
    await Promise.all(clients.map((c, i) => send(1 + (wave % 3), i % 4 === 3 ? '/v2/orders' : '/orders', c)));
    await page.waitForTimeout(1_000);
  }
  const stats = (await (await fetch(`${lb.url}/api/stats`)).json()) as { servers: Record<string, unknown> };
  const last = Object.keys(stats.servers).at(-1)!;
  await fetch(`${lb.url}/api/servers/${last}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"drain":true}' });
  await Promise.all(clients.map((c) => send(1, '/catalog', c)));
  await page.waitForTimeout(2_500);
  await page.screenshot({ path: join(OUT, 'dashboard.png'), fullPage: true });

  const monitor = execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'monitor', '--once', '--url', lb.url], { cwd: ROOT, encoding: 'utf8' });
  const esc = monitor.replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);
  const term = await browser.newPage({ viewport: { width: 1100, height: 600 } });
  await term.setContent(
    `<body style="margin:0;background:#1e1e1e"><pre style="margin:0;padding:16px 20px;color:#e5e5e5;font:14px/1.4 'DejaVu Sans Mono',monospace;display:inline-block">$ switchyard monitor --once\n${esc}</pre></body>`,
  );
  const box = await term.locator('pre').boundingBox();
  await term.screenshot({ path: join(OUT, 'monitor.png'), clip: { x: 0, y: 0, width: Math.ceil(box!.width), height: Math.ceil(box!.height) } });
  console.log(`wrote ${join('docs', 'dashboard.png')} and ${join('docs', 'monitor.png')}`);
} finally {
  await browser.close();
  await lb.stop('SIGTERM');
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all([demo.close(), ...extra.map((e) => e.served.close())]);
}
