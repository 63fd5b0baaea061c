/**
 * Regenerates the README's screenshots (docs/dashboard.png, docs/monitor.png):
 * starts the balancer with its demo backends, sends some traffic, drains one
 * server, then photographs the dashboard and the output of `switchyard
 * monitor --once` in headless Chromium (Debian's /usr/bin/chromium).
 *
 *   node --import tsx scripts/screenshots.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, startEntry } from '../test/conformance/harness.ts';

const OUT = join(ROOT, 'docs');
mkdirSync(OUT, { recursive: true });

const lb = await startEntry('node', ['--port', '0'], { LOG_LEVEL: 'warn' });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
try {
  const send = async (n: number, path: string) => {
    for (let i = 0; i < n; i++) await (await fetch(`${lb.url}${path}?i=${i}`)).arrayBuffer();
  };
  const page = await browser.newPage({ viewport: { width: 1280, height: 1320 } });
  await page.goto(`${lb.url}/api/dashboard`);
  // Traffic in a few waves, so the charts over time have a shape.
  for (let wave = 0; wave < 5; wave++) {
    await Promise.all(Array.from({ length: 4 + wave * 2 }, () => send(6, '/orders')));
    await page.waitForTimeout(1_000);
  }
  const stats = (await (await fetch(`${lb.url}/api/stats`)).json()) as { servers: Record<string, unknown> };
  const last = Object.keys(stats.servers).at(-1)!;
  await fetch(`${lb.url}/api/servers/${last}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"drain":true}' });
  await send(10, '/catalog');
  await page.waitForTimeout(2_500);
  await page.screenshot({ path: join(OUT, 'dashboard.png'), fullPage: true });

  const monitor = execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'monitor', '--once', '--url', lb.url], { cwd: ROOT, encoding: 'utf8' });
  const esc = monitor.replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);
  const term = await browser.newPage({ viewport: { width: 1000, height: 300 } });
  await term.setContent(
    `<body style="margin:0;background:#1e1e1e"><pre style="margin:0;padding:16px 20px;color:#e5e5e5;font:14px/1.4 'DejaVu Sans Mono',monospace">$ switchyard monitor --once\n${esc}</pre></body>`,
  );
  const box = await term.locator('pre').boundingBox();
  await term.screenshot({ path: join(OUT, 'monitor.png'), clip: { x: 0, y: 0, width: Math.ceil(box!.width), height: Math.ceil(box!.height) } });
  console.log(`wrote ${join('docs', 'dashboard.png')} and ${join('docs', 'monitor.png')}`);
} finally {
  await browser.close();
  await lb.stop('SIGTERM');
}
