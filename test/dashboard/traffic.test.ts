/**
 * The dashboard's traffic-control card in headless Chromium (Debian's, driven
 * by playwright-core) against a running balancer with real backends: a rate
 * limit and a concurrency cap, a server capped with max_conns and a queue in
 * front of it, and shedding set from the card (PATCH /api/services/NAME).
 * Saves screenshots under test-output/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startBackend, type TestBackend } from '../fixtures/backends.ts';
import { startHeldBackend, type HeldBackend } from '../fixtures/held-backend.ts';
import { waitFor } from '../fixtures/wait.ts';
import { ROOT, startEntry, writeConfig, type Running } from '../conformance/harness.ts';
import { CHROMIUM_MISSING, LAUNCH } from '../fixtures/chromium.ts';
import type { QueueReport } from '../../src/core/report.ts';

const OUT = join(ROOT, 'test-output');
const skip = CHROMIUM_MISSING;

type Dashboard = { switchyard: { refresh(): Promise<void> } };
interface Service {
  queue: QueueReport;
  shed_percent: number;
  shed_percent_source: 'config' | 'api';
  shed: number;
  servers: Record<string, { active_connections: number; max_conns: number }>;
}
interface Stats {
  rate_limits: Array<{ name: string; allowed: number; refused: number }>;
  concurrency_limits: Array<{ name: string; scope: string; limit: number; in_progress: number; refused: number }>;
  services: Record<string, Service>;
}

/** Renders the latest stats now (the page's own refresh, awaited). */
const refresh = (tab: Page) => tab.evaluate(() => (window as unknown as Dashboard).switchyard.refresh());

/** The cells of each row of a traffic table, by each cell's first class (and the row's key attribute). */
function rows(tab: Page, table: 'limits' | 'queues'): Promise<Array<Record<string, string>>> {
  return tab.$$eval(`#${table} tbody tr`, (trs) =>
    trs.map((tr) => {
      const out: Record<string, string> = { row: tr.getAttribute('data-limit') ?? tr.getAttribute('data-service') ?? '' };
      for (const td of tr.querySelectorAll('td')) {
        const cls = td.classList.contains('num') ? td.classList[1] : td.classList[0];
        if (cls && cls !== 'actions') out[cls] = td.textContent!.trim();
      }
      return out;
    }),
  );
}

/** Milliseconds as the card writes them. */
const ms = (n: number) => (n >= 1000 ? `${Math.round(n / 100) / 10} s` : `${Math.round(n)} ms`);

describe('dashboard traffic control in headless Chromium', { skip, timeout: 180_000 }, () => {
  let plain: TestBackend;
  let held: HeldBackend;
  let lb: Running;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const stats = async () => (await (await fetch(`${lb.url}/api/stats`)).json()) as Stats;

  before(async () => {
    plain = await startBackend('P');
    held = await startHeldBackend('H');
    lb = await startEntry('node', [
      '--config',
      writeConfig({
        load_balancer: { port: 0 },
        // The default service takes what no route does (the browser's favicon, say): no limits there.
        servers: [{ url: plain.url }],
        services: {
          slow: {
            servers: [{ url: held.url, max_conns: 1 }],
            max_queue: 3,
            queue_timeout: 60,
            priority: { header: 'x-priority', low: ['batch'] },
            max_concurrent: { limit: 10, key: 'ip' },
          },
          shop: { servers: [{ url: plain.url }] },
        },
        routes: [
          { name: 'limited', match: { path_prefix: '/limited/' }, service: 'default', rate_limit: { name: 'per-client', key: 'header:x-client', rate: '1/h', burst: 3, headers: true } },
          { name: 'slow', match: { path_prefix: '/slow/' }, service: 'slow' },
          { name: 'shop', match: { path_prefix: '/shop/' }, service: 'shop' },
        ],
        log_level: 'warn',
      }),
    ]);
    browser = await chromium.launch(LAUNCH);
    page = await browser.newPage({ viewport: { width: 1280, height: 1200 } });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${lb.url}/api/dashboard`);
    await page.waitForSelector('#traffic-card:not([hidden])');
  });
  after(async () => {
    await browser?.close();
    await lb?.stop('SIGKILL');
    await Promise.all([plain?.close(), held?.close()]);
  });

  it('lists each limit with its setting, store and exactness, and counts what it allowed and refused', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`${lb.url}/limited/x`, { headers: { 'x-client': 'a' } });
      await r.arrayBuffer();
      codes.push(r.status);
    }
    assert.deepEqual(codes, [200, 200, 200, 429, 429], 'burst 3, then refused (1/h refills nothing meanwhile)');
    const marked = await page.locator('#limits tr[data-limit="per-client"]').evaluate((tr) => ((tr as unknown as { marked: boolean }).marked = true));
    assert.equal(marked, true);
    await refresh(page);
    const s = await stats();
    const cap = s.concurrency_limits.find((c) => c.scope === 'service:slow')!;
    assert.ok(cap, `the slow service's cap is listed: ${JSON.stringify(s.concurrency_limits)}`);
    assert.deepEqual(await rows(page, 'limits'), [
      { row: 'per-client', head: 'per-client', kind: 'rate', scope: 'route limited', key: 'header:x-client', setting: '1/h, burst 3, headers', store: 'memory (per process)', allowed: '3', refused: '2' },
      { row: cap.name, head: cap.name, kind: 'in progress', scope: 'service slow', key: 'ip', setting: '10 at once', store: 'memory (per process)', allowed: '0 in progress', refused: '0' },
    ]);
    assert.equal(await page.getAttribute('#limits tr[data-limit="per-client"] td.refused', 'class'), 'num refused bad', 'refusals stand out');
    // One more refusal: the same row, patched.
    await (await fetch(`${lb.url}/limited/x`, { headers: { 'x-client': 'a' } })).arrayBuffer();
    await refresh(page);
    const row = page.locator('#limits tr[data-limit="per-client"]');
    assert.equal(await row.locator('td.refused').textContent(), '3');
    assert.equal(await row.evaluate((tr) => (tr as unknown as { marked?: boolean }).marked), true, 'the same <tr>');
  });

  it("shows a service's queue while a request waits for a capped server, and its wait once it is served", async () => {
    const slowRow = page.locator('#queues tr[data-service="slow"]');
    await slowRow.evaluate((tr) => ((tr as unknown as { marked: boolean }).marked = true));
    // A request held at the backend fills its only place; a low-priority one waits behind it.
    const first = fetch(`${lb.url}/slow/first`).then(async (r) => (await r.arrayBuffer(), r.status));
    await waitFor('the first request at the backend', async () => held.inFlight, (n) => n === 1, 15_000);
    const second = fetch(`${lb.url}/slow/second?ms=1`, { headers: { 'x-priority': 'batch' } }).then(async (r) => (await r.arrayBuffer(), r.status));
    // Whatever fails while they wait, the held requests end before the test does.
    const settled = Promise.allSettled([first, second]);
    let s: Stats;
    try {
      await waitFor('one request queued', async () => (await stats()).services.slow.queue.length, (n) => n === 1, 15_000);
      await refresh(page);
      s = await stats();
      const cells = (await rows(page, 'queues')).find((r) => r.row === 'slow')!;
      assert.deepEqual(cells, {
        row: 'slow',
        head: 'slow',
        waiting: '1 / 3',
        low: '1',
        queued: '1',
        'timed-out': '0',
        full: '0',
        // The wait figures are those of requests served so far.
        wait: `${ms(s.services.slow.queue.wait_ms_avg)} / ${ms(s.services.slow.queue.wait_ms_max)}`,
        timeout: '60 s',
        shedding: '0% from the config',
        shed: '0',
      });
      await slowRow.locator('.qbar').waitFor({ state: 'visible' });
      assert.equal(await slowRow.locator('.qbar .fill').evaluate((f) => (f as HTMLElement).style.width), '33.3%', 'a third of the queue is used');
      // The capped server's row in its service's card: in flight of its cap.
      assert.equal(await page.textContent(`table[data-service="slow"] tr[data-id="${held.id}"] td.num >> nth=0`), '1 / 1');
      const cap = s.concurrency_limits.find((c) => c.scope === 'service:slow')!;
      assert.ok(cap.in_progress >= 1);
      assert.equal(await page.textContent(`#limits tr[data-limit="${cap.name}"] td.allowed`), `${cap.in_progress} in progress`);
    } finally {
      held.release();
    }
    assert.deepEqual((await settled).map((r) => (r.status === 'fulfilled' ? r.value : String(r.reason))), [200, 200]);
    s = await waitFor('the queue empty', stats, (x) => x.services.slow.queue.length === 0 && x.concurrency_limits.every((c) => c.in_progress === 0));
    await refresh(page);
    const q = s.services.slow.queue;
    assert.ok(q.wait_ms_max > 0 && q.queued_total === 1, JSON.stringify(q));
    const now = (await rows(page, 'queues')).find((r) => r.row === 'slow')!;
    assert.deepEqual([now.waiting, now.low, now.queued, now.wait], ['0 / 3', '0', '1', `${ms(q.wait_ms_avg)} / ${ms(q.wait_ms_max)}`]);
    assert.equal(await page.textContent(`table[data-service="slow"] tr[data-id="${held.id}"] td.num >> nth=0`), '0 / 1');
    assert.equal(await slowRow.evaluate((tr) => (tr as unknown as { marked?: boolean }).marked), true, 'the same <tr>');
    // A service whose servers have no cap shows no queue figures, only its shedding.
    const shop = (await rows(page, 'queues')).find((r) => r.row === 'shop')!;
    assert.deepEqual([shop.waiting, shop.queued, shop.wait, shop.shedding], ['no server cap', '–', '–', '0% from the config']);
  });

  it('sets a service\'s shed percent from the card, shows what it shed, and resets it to the config\'s', async () => {
    const row = '#queues tr[data-service="shop"]';
    const input = page.locator(`${row} input.shed-percent`);
    assert.equal(await page.isVisible(`${row} button.shed-reset`), false, 'nothing to reset while the config decides');
    // The API's error for a bad value is shown, and nothing changes.
    await input.fill('150');
    await input.press('Tab');
    await page.waitForSelector('.toast.bad:has-text("shop:")');
    assert.equal((await stats()).services.shop.shed_percent_source, 'config');

    await input.fill('100');
    await input.press('Tab');
    await page.waitForSelector('.toast.ok:has-text("shop: shedding 100%")');
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${lb.url}/shop/x`);
      await r.arrayBuffer();
      codes.push(r.status);
    }
    assert.deepEqual(codes, [503, 503, 503, 503]);
    let s = await stats();
    assert.deepEqual([s.services.shop.shed_percent, s.services.shop.shed_percent_source, s.services.shop.shed], [100, 'api', 4]);
    await refresh(page);
    let cells = (await rows(page, 'queues')).find((r) => r.row === 'shop')!;
    assert.deepEqual([cells.shedding, cells.shed], ['100% set through the API', '4']);
    assert.equal(await input.inputValue(), '100');

    await page.click(`${row} button.shed-reset`);
    await page.waitForSelector('.toast.ok:has-text("shop: shed_percent back to the config\'s (0%)")');
    s = await stats();
    assert.deepEqual([s.services.shop.shed_percent, s.services.shop.shed_percent_source], [0, 'config']);
    await refresh(page);
    cells = (await rows(page, 'queues')).find((r) => r.row === 'shop')!;
    assert.deepEqual([cells.shedding, cells.shed], ['0% from the config', '4']);
    assert.equal(await input.inputValue(), '0');
    assert.equal(await page.isVisible(`${row} button.shed-reset`), false);
    assert.equal((await fetch(`${lb.url}/shop/x`)).status, 200);
    assert.deepEqual(errors, []);
  });

  it('reads well on a desktop and fits a phone screen', async () => {
    mkdirSync(OUT, { recursive: true });
    await page.evaluate(() => document.querySelectorAll('.toast').forEach((t) => t.remove()));
    await page.screenshot({ path: join(OUT, 'dashboard-traffic-page.png'), fullPage: true });
    await page.locator('#traffic-card').screenshot({ path: join(OUT, 'dashboard-traffic.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `page is ${overflow}px wider than a phone`);
    const fits = await page.evaluate(() => {
      const card = document.querySelector('#traffic-card')!.getBoundingClientRect();
      return ['#limits', '#queues'].map((t) => document.querySelector(t)!.getBoundingClientRect().right <= card.right);
    });
    assert.deepEqual(fits, [true, true], 'the tables fit their card at phone width');
    await page.locator('#traffic-card').screenshot({ path: join(OUT, 'dashboard-traffic-phone.png') });
    await page.setViewportSize({ width: 1280, height: 1200 });
  });

  it('stays hidden for a plain config, and a server row shows only its active count', async () => {
    const other = await startEntry('node', ['--config', writeConfig({ load_balancer: { port: 0 }, servers: [{ url: plain.url }], log_level: 'warn' })]);
    const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await (await fetch(`${other.url}/x`)).arrayBuffer();
      await tab.goto(`${other.url}/api/dashboard`);
      await tab.waitForSelector(`#servers tr[data-id="${plain.id}"]`);
      await refresh(tab);
      assert.equal(await tab.isHidden('#traffic-card'), true);
      assert.equal(await tab.textContent(`#servers tr[data-id="${plain.id}"] td.num >> nth=0`), '0');
    } finally {
      await tab.close();
      await other.stop('SIGKILL');
    }
  });
});
