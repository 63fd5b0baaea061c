/**
 * The dashboard in a real browser: headless Chromium (Debian's, driven by
 * playwright-core) against a running balancer with real backends. Saves a
 * screenshot under test-output/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startBackend, type TestBackend } from '../fixtures/backends.ts';
import { ROOT, startEntry, writeConfig, type Running } from '../conformance/harness.ts';

const CHROMIUM = '/usr/bin/chromium';
const OUT = join(ROOT, 'test-output');
const skip = existsSync(CHROMIUM) ? false : `Debian's chromium is not installed at ${CHROMIUM} (.ci/run installs it)`;
const LAUNCH = {
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
};

interface UPlotLike {
  scales: { y: { min?: number } };
}
type Box = { left: number; right: number; top: number; bottom: number };
type Dashboard = { switchyard: { refresh(): Promise<void>; charts: Record<string, { plot: UPlotLike | null }> } };

/**
 * Resolves once the page has rendered `n` more refreshes (its `switchyard:refresh` events).
 * (Functions run in the page stay anonymous: tsx would wrap named ones in a helper the page lacks.)
 */
async function refreshes(tab: Page, n = 2): Promise<void> {
  await tab.evaluate(
    (n) =>
      new Promise<void>((resolve, reject) => {
        let seen = 0;
        const done = new AbortController();
        const fail = setTimeout(() => (done.abort(), reject(new Error(`saw ${seen} of ${n} refreshes in 20 s`))), 20_000);
        document.addEventListener(
          'switchyard:refresh',
          () => {
            if (++seen < n) return;
            clearTimeout(fail);
            done.abort();
            resolve();
          },
          { signal: done.signal },
        );
      }),
    n,
  );
}
/** The y-scale minimum of the response-time and percentile bar charts. */
const barMinima = (tab: Page) => tab.evaluate(() => ['times', 'percentiles'].map((k) => (window as unknown as Dashboard).switchyard.charts[k].plot?.scales.y.min));

describe('dashboard in headless Chromium', { skip, timeout: 120_000 }, () => {
  let backends: TestBackend[];
  let extra: TestBackend;
  let lb: Running;
  let browser: Browser;
  let page: Page;

  before(async () => {
    backends = await Promise.all(['A', 'B', 'C'].map((n) => startBackend(n)));
    extra = await startBackend('D');
    lb = await startEntry('node', [
      '--config',
      writeConfig({
        load_balancer: { port: 0, algorithm: 'round_robin' },
        servers: backends.map((b) => ({ url: b.url, name: `server ${b.name}` })),
        health_check: { interval: 1 },
        log_level: 'warn',
      }),
    ]);
    for (let i = 0; i < 30; i++) await (await fetch(`${lb.url}/delay?ms=${i % 3 === 0 ? 20 : 2}`)).arrayBuffer();
    browser = await chromium.launch(LAUNCH);
    page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
  });
  after(async () => {
    await browser?.close();
    await lb?.stop('SIGKILL');
    await Promise.all([...(backends ?? []), extra].map((b) => b?.close()));
  });

  it('shows every server, the totals and non-empty charts', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${lb.url}/api/dashboard`);
    await page.waitForSelector('#servers tbody tr');
    for (const b of backends) await page.waitForSelector(`#servers tr[data-id="${b.id}"]`);
    assert.equal(await page.textContent('#algorithm'), 'round_robin');
    assert.equal(await page.textContent('#servers-count'), '3 / 3');
    // Every chart draws something: some canvas pixel is not transparent.
    const painted = await page.evaluate(() =>
      ['#chart-distribution', '#chart-times', '#chart-percentiles', '#chart-active', '#chart-errors'].map((sel) => {
        const c = document.querySelector(`${sel} canvas`) as HTMLCanvasElement | null;
        if (!c || !c.width || !c.height) return false;
        const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
        return false;
      }),
    );
    assert.deepEqual(painted, [true, true, true, true, true]);
    assert.deepEqual(errors, []);
  });

  it('adds a server through the form (and shows API errors inline); the next requests reach it', async () => {
    await page.fill('#add input[name=url]', 'ftp://nope');
    await page.click('#add button[type=submit]');
    await page.waitForSelector('#add-errors li');
    assert.match((await page.textContent('#add-errors'))!, /url: .*http/);
    await page.fill('#add input[name=url]', extra.url);
    await page.fill('#add input[name=name]', 'server D');
    await page.click('#add button[type=submit]');
    await page.waitForSelector(`#servers tr[data-id="${extra.id}"]`);
    await page.waitForSelector('.toast.ok');
    const served = new Set<string>();
    for (let i = 0; i < 8; i++) served.add((await fetch(`${lb.url}/echo`)).headers.get('x-served-by') ?? '');
    assert.ok(served.has(extra.id), `D not served: ${[...served]}`);
  });

  it('drains a server from its row', async () => {
    const [a] = backends;
    await page.click(`#servers tr[data-id="${a.id}"] button.drain`);
    await page.waitForSelector(`#servers tr[data-id="${a.id}"] .badge.draining`);
    const stats = (await (await fetch(`${lb.url}/api/stats`)).json()) as { servers: Record<string, { status: string }> };
    assert.equal(stats.servers[a.id].status, 'draining');
    for (let i = 0; i < 6; i++) assert.notEqual((await fetch(`${lb.url}/echo`)).headers.get('x-served-by'), a.id);
  });

  it('keeps a half-typed weight, and its row, across refreshes', async () => {
    const [, b, c] = backends;
    await page.selectOption('#interval', '1');
    try {
      const row = page.locator(`#servers tr[data-id="${b.id}"]`);
      await row.evaluate((tr) => ((tr as unknown as { marked: boolean }).marked = true));
      const input = row.locator('input.weight');
      await input.click();
      await input.press('ControlOrMeta+A');
      await input.pressSequentially('2.5');
      // An edit that lost its focus without a change event (set by script) is kept too.
      const other = page.locator(`#servers tr[data-id="${c.id}"] input.weight`);
      await other.evaluate((i: HTMLInputElement) => (i.value = '4'));
      await refreshes(page, 2);
      assert.equal(await input.inputValue(), '2.5', 'the focused input keeps what was typed');
      assert.equal(await other.inputValue(), '4', 'an unsubmitted edit stays');
      assert.ok(await input.evaluate((i) => i === document.activeElement), 'the input keeps its focus');
      assert.equal(await row.evaluate((tr) => (tr as unknown as { marked?: boolean }).marked), true, 'the row is the same <tr>');

      // Committing (Tab fires change) sends it; later refreshes show the balancer's value.
      await input.press('Tab');
      await page.waitForSelector(`.toast.ok:has-text("${b.id}: weight 2.5")`);
      await refreshes(page, 1);
      assert.equal(await input.inputValue(), '2.5');
      const stats = (await (await fetch(`${lb.url}/api/stats`)).json()) as { servers: Record<string, { weight: number }> };
      assert.equal(stats.servers[b.id].weight, 2.5);
      assert.equal(stats.servers[c.id].weight, 1, 'the unsubmitted edit was not sent');
      await other.evaluate((i: HTMLInputElement) => (i.value = '1'));
    } finally {
      await page.selectOption('#interval', '2');
    }
  });

  it('updates the bar charts in place, with y axes from zero', async () => {
    const marked = await page.evaluate(() =>
      ['#chart-times', '#chart-percentiles'].map((sel) => {
        const canvas = document.querySelector(`${sel} canvas`) as (HTMLCanvasElement & { marked?: boolean }) | null;
        if (canvas) canvas.marked = true;
        return Boolean(canvas);
      }),
    );
    assert.deepEqual(marked, [true, true]);
    await page.selectOption('#interval', '1');
    try {
      // New response times between the refreshes: the charts get new data, not new canvases.
      for (let i = 0; i < 6; i++) await (await fetch(`${lb.url}/delay?ms=${5 + i}`)).arrayBuffer();
      await refreshes(page, 2);
    } finally {
      await page.selectOption('#interval', '2');
    }
    const same = await page.evaluate(() => ['#chart-times', '#chart-percentiles'].map((sel) => (document.querySelector(`${sel} canvas`) as { marked?: boolean } | null)?.marked === true));
    assert.deepEqual(same, [true, true], 'the same canvases, not rebuilt charts');
    assert.deepEqual(await barMinima(page), [0, 0]);
  });

  it('pauses and resumes with Ctrl+Space, and fits a phone screen', async () => {
    await page.keyboard.press('Control+Space');
    assert.equal(await page.getAttribute('#pause', 'aria-pressed'), 'true');
    await page.keyboard.press('Control+Space');
    assert.equal(await page.getAttribute('#pause', 'aria-pressed'), 'false');
    await page.evaluate(() => (window as unknown as Dashboard).switchyard.refresh());
    mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: join(OUT, 'dashboard.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `page is ${overflow}px wider than a phone`);
    await page.screenshot({ path: join(OUT, 'dashboard-phone.png') });
  });

  it('asks for the admin token when a write needs one, and keeps it for this session only', async () => {
    const token = 'dashboard-test-token';
    const locked = await startEntry('node', ['--config', writeConfig({ load_balancer: { port: 0 }, servers: backends.map((b) => ({ url: b.url })), admin: { token }, log_level: 'warn' })]);
    const context = await browser.newContext();
    try {
      const tab = await context.newPage();
      const prompts: string[] = [];
      tab.on('dialog', (d) => {
        prompts.push(d.message());
        void d.accept(token);
      });
      await tab.goto(`${locked.url}/api/dashboard`);
      const [a, b] = backends;
      await tab.click(`#servers tr[data-id="${a.id}"] button.drain`);
      await tab.waitForSelector(`#servers tr[data-id="${a.id}"] .badge.draining`);
      assert.equal(prompts.length, 1, 'asked once');
      assert.match(prompts[0], /token/i);
      const kept = await tab.evaluate(() => ({ session: sessionStorage.getItem('switchyard-token'), local: localStorage.length, cookie: document.cookie }));
      assert.deepEqual(kept, { session: token, local: 0, cookie: '' });
      await tab.reload();
      await tab.click(`#servers tr[data-id="${b.id}"] button.drain`);
      await tab.waitForSelector(`#servers tr[data-id="${b.id}"] .badge.draining`);
      assert.equal(prompts.length, 1, 'the session keeps the token across a reload');
      const fresh = await (await context.browser()!.newContext()).newPage();
      await fresh.goto(`${locked.url}/api/dashboard`);
      assert.equal(await fresh.evaluate(() => sessionStorage.getItem('switchyard-token')), null, 'another session starts without it');
      await fresh.context().close();
    } finally {
      await context.close();
      await locked.stop('SIGKILL');
    }
  });

  it('fits a long algorithm name in its KPI tile at desktop width; bars of similar height still start at zero', async () => {
    const other = await startEntry('node', [
      '--config',
      // Under another admin prefix too: the page finds its API beside itself.
      writeConfig({ load_balancer: { port: 0, algorithm: 'least_response_time' }, admin: { prefix: '/_lb' }, servers: backends.map((b) => ({ url: b.url })), log_level: 'warn' }),
    ]);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      // Similar response times everywhere: an auto-ranged y axis would start near 40 ms.
      for (let i = 0; i < 12; i++) await (await fetch(`${other.url}/delay?ms=40`)).arrayBuffer();
      const tab = await context.newPage();
      await tab.goto(`${other.url}/_lb/dashboard`);
      await tab.waitForSelector('#servers tbody tr');
      assert.equal(await tab.textContent('#algorithm'), 'least_response_time');
      const boxes = await tab.evaluate(() => {
        const figure = document.querySelector('#algorithm')!;
        // The text itself (a block's own box is its tile's width even when the text overflows it).
        const range = document.createRange();
        range.selectNodeContents(figure);
        return {
          text: range.getBoundingClientRect().toJSON() as Box,
          tile: figure.closest('.kpi')!.getBoundingClientRect().toJSON() as Box,
          next: document.querySelector('#servers-count')!.closest('.kpi')!.getBoundingClientRect().toJSON() as Box,
          nextFigure: document.querySelector('#servers-count')!.getBoundingClientRect().toJSON() as Box,
        };
      });
      const overlaps = (a: Box, b: Box) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
      assert.ok(boxes.next.left >= boxes.tile.right, `the next KPI is beside it: ${JSON.stringify(boxes)}`);
      assert.ok(boxes.text.right <= boxes.tile.right + 0.5, `the figure stays inside its tile: ${JSON.stringify(boxes)}`);
      assert.ok(!overlaps(boxes.text, boxes.next) && !overlaps(boxes.text, boxes.nextFigure), `overlaps the next KPI: ${JSON.stringify(boxes)}`);
      mkdirSync(OUT, { recursive: true });
      await tab.screenshot({ path: join(OUT, 'dashboard-least-response-time.png'), fullPage: true });
      assert.deepEqual(await barMinima(tab), [0, 0]);
    } finally {
      await context.close();
      await other.stop('SIGKILL');
    }
  });
});
