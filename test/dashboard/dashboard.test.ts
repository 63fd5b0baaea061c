/**
 * The dashboard in a real browser: headless Chromium (Debian's, driven by
 * playwright-core) against a running balancer with real backends. Saves a
 * screenshot under test-output/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Agent, request } from 'undici';
import { startBackend, type TestBackend } from '../fixtures/backends.ts';
import { ROOT, startEntry, writeConfig, type Running } from '../conformance/harness.ts';
import { CHROMIUM_MISSING, LAUNCH } from '../fixtures/chromium.ts';

const OUT = join(ROOT, 'test-output');
const skip = CHROMIUM_MISSING;

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
    // Only the default service (a config from before services): the page looks as it always did.
    const look = await page.evaluate(() => ({
      cards: document.querySelectorAll('#services > section:not([hidden])').length,
      title: document.querySelector('#services > section .svc-title')!.textContent,
      totals: (document.querySelector('#services > section .svc-totals') as HTMLElement).hidden,
      routes: (document.querySelector('#routes-card') as HTMLElement).hidden,
      chartFor: (document.querySelector('#chart-for') as HTMLElement).hidden,
    }));
    assert.deepEqual(look, { cards: 1, title: 'Servers', totals: true, routes: true, chartFor: true });
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

interface ServerStats {
  status: string;
  weight: number;
}
interface Stats {
  servers: Record<string, ServerStats>;
  services: Record<string, { servers: Record<string, ServerStats> }>;
  routes: Array<{ name: string; requests: number; split: Array<{ service: string; weight: number; requests: number }> | null }>;
}

describe('dashboard with services and routes in headless Chromium', { skip, timeout: 120_000 }, () => {
  // A and B serve the default service, C the canary web_next, D and A (again) the api service; E is added later.
  let A: TestBackend, B: TestBackend, C: TestBackend, D: TestBackend, E: TestBackend;
  let lb: Running;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  /** The split's requests as the backends saw them: by the service whose server answered. */
  const answered = { default: 0, web_next: 0 };
  const stats = async () => (await (await fetch(`${lb.url}/_lb/stats`)).json()) as Stats;
  const ids = (tab: Page, service: string) => tab.$$eval(`table[data-service="${service}"] tbody tr`, (trs) => trs.map((tr) => tr.getAttribute('data-id')));

  before(async () => {
    [A, B, C, D, E] = await Promise.all(['A', 'B', 'C', 'D', 'E'].map((n) => startBackend(n)));
    lb = await startEntry('node', [
      '--config',
      writeConfig({
        admin: { prefix: '/_lb' },
        load_balancer: { port: 0 },
        servers: [{ url: A.url, name: 'server A' }, { url: B.url }],
        services: { web_next: { servers: [{ url: C.url }], sticky: {} }, api: { servers: [{ url: D.url }, { url: A.url }] } },
        routes: [
          { name: 'api', match: { path_prefix: '/v2/' }, service: 'api', strip_prefix: true },
          { name: 'canary', match: { headers: { 'x-canary': '1' } }, service: 'web_next', fallback: 'default' },
          // Under /app/ only, so the browser's own requests (favicon) take no route and leave the counts alone.
          { name: 'site', match: { path_prefix: '/app/' }, split: [{ service: 'default', weight: 70 }, { service: 'web_next', weight: 30 }] },
        ],
        health_check: { interval: 1 },
        log_level: 'warn',
      }),
    ]);
    // The split keeps each client on one side (its address hashed onto the weights): 20 clients, 2 requests each.
    for (let i = 2; i < 22; i++) {
      const dispatcher = new Agent({ localAddress: `127.0.0.${i}` });
      try {
        for (let j = 0; j < 2; j++) {
          const res = await request(`${lb.url}/app/page`, { dispatcher });
          await res.body.arrayBuffer();
          const by = res.headers['x-served-by'];
          // X-Served-By names the service too, unless it is the default one.
          if (by === `web_next/${C.id}`) answered.web_next++;
          else if (by === A.id || by === B.id) answered.default++;
          else assert.fail(`served by ${String(by)}`);
        }
      } finally {
        await dispatcher.close();
      }
    }
    for (let i = 0; i < 3; i++) await (await fetch(`${lb.url}/v2/items`)).arrayBuffer();
    for (let i = 0; i < 2; i++) await (await fetch(`${lb.url}/x`, { headers: { 'x-canary': '1' } })).arrayBuffer();
    browser = await chromium.launch(LAUNCH);
    page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${lb.url}/_lb/dashboard`);
    await page.waitForSelector('#routes tbody tr');
  });
  after(async () => {
    await browser?.close();
    await lb?.stop('SIGKILL');
    await Promise.all([A, B, C, D, E].map((b) => b?.close()));
  });

  /**
   * Refreshes the page and returns the stats it rendered: read before and after the refresh,
   * again if any request (the browser's favicon, say) arrived in between.
   */
  async function shown(): Promise<Stats> {
    const counts = (x: Stats) => JSON.stringify(Object.values(x.services).map((v) => (v as unknown as { total_requests: number }).total_requests));
    for (let i = 0; i < 5; i++) {
      const before = await stats();
      await page.evaluate(() => (window as unknown as Dashboard).switchyard.refresh());
      const now = await stats();
      if (counts(before) === counts(now)) return now;
    }
    throw new Error('requests kept arriving');
  }

  it('shows every service: its name, totals, servers table and form', async () => {
    const s = await shown();
    assert.deepEqual(await ids(page, 'default'), [A.id, B.id]);
    assert.deepEqual(await ids(page, 'web_next'), [C.id]);
    assert.deepEqual(await ids(page, 'api'), [D.id, A.id]);
    // The default service's table keeps its old selector.
    assert.equal(await page.getAttribute('#servers', 'data-service'), 'default');
    const cards = await page.$$eval('#services > section:not([hidden])', (secs) =>
      secs.map((s) => ({
        service: s.getAttribute('data-service'),
        title: s.querySelector('.svc-title')!.textContent,
        totals: (s.querySelector('.svc-totals') as HTMLElement).hidden ? null : [...s.querySelector('.svc-totals')!.children].filter((c) => !(c as HTMLElement).hidden).map((c) => c.textContent),
        form: Boolean(s.querySelector('form input[name=url]')),
      })),
    );
    assert.deepEqual(
      cards.map((c) => [c.service, c.title, c.form]),
      [
        ['default', 'Service default', true],
        ['web_next', 'Service web_next', true],
        ['api', 'Service api', true],
      ],
    );
    const totals = (name: string, sessions: string) => {
      const svc = s.services[name] as unknown as { total_requests: number; failed_requests: number; error_rate: number; healthy_servers: number; total_servers: number };
      return ['round_robin', `${svc.healthy_servers} / ${svc.total_servers} healthy`, `${svc.total_requests} requests`, `${svc.failed_requests} failed (${svc.error_rate}%)`, sessions, 'checks /health every 1 s'];
    };
    const withoutRate = (t: string[] | null) => {
      assert.match(t![4], /^[\d.]+ req\/s$/);
      return t!.filter((_, i) => i !== 4);
    };
    assert.deepEqual(withoutRate(cards[0].totals), totals('default', 'sticky sessions off'));
    assert.deepEqual(withoutRate(cards[1].totals), totals('web_next', `sticky sessions ${(s.services.web_next as unknown as { sessions: number }).sessions}`));
    assert.deepEqual(withoutRate(cards[2].totals), totals('api', 'sticky sessions off'));
    assert.ok((s.services.default as unknown as { total_requests: number }).total_requests >= answered.default, 'the figures are the live ones');
    assert.deepEqual(await page.$$eval('#chart-service option', (os) => os.map((o) => o.textContent)), ['default', 'web_next', 'api']);
    assert.equal(await page.isVisible('#chart-for'), true);
    assert.deepEqual(errors, []);
  });

  it('lists the routes in order with their conditions, target, fallback and hits; the split shows how its requests divided', async () => {
    assert.ok(answered.default > 0 && answered.web_next > 0, `both sides of the split served: ${JSON.stringify(answered)}`);
    const s = await stats();
    const site = s.routes.find((r) => r.name === 'site')!;
    assert.deepEqual(
      site.split!.map((m) => [m.service, m.requests]),
      [
        ['default', answered.default],
        ['web_next', answered.web_next],
      ],
      'the balancer counts what the backends saw',
    );
    await page.evaluate(() => (window as unknown as Dashboard).switchyard.refresh());
    const rows = await page.$$eval('#routes tbody tr', (trs) =>
      trs.map((tr) => ({
        route: tr.getAttribute('data-route'),
        when: tr.querySelector('td.when')!.textContent,
        to: tr.querySelector('td.to')!.textContent,
        fallback: tr.querySelector('td.fallback')!.textContent,
        hits: tr.querySelector('td.hits')!.textContent,
      })),
    );
    assert.deepEqual(rows, [
      { route: 'api', when: 'path under /v2/prefix stripped', to: 'api', fallback: '–', hits: '3' },
      { route: 'canary', when: 'header x-canary: 1', to: 'web_next', fallback: 'default', hits: '2' },
      { route: 'site', when: 'path under /app/', to: rows[2].to, fallback: '–', hits: '40' },
    ]);
    const members = await page.$$eval('#routes tr[data-route="site"] [data-member]', (ms) =>
      ms.map((m) => ({ service: m.getAttribute('data-member'), text: [...m.children].map((c) => c.textContent).join(' | '), fill: (m.querySelector('.fill') as HTMLElement).style.width })),
    );
    const share = (n: number) => `${Math.round((n / 40) * 1000) / 10}%`;
    assert.deepEqual(members, [
      { service: 'default', text: `default | weight 70 (70%) |  | ${answered.default} req · ${share(answered.default)}`, fill: share(answered.default) },
      { service: 'web_next', text: `web_next | weight 30 (30%) |  | ${answered.web_next} req · ${share(answered.web_next)}`, fill: share(answered.web_next) },
    ]);
  });

  it('updates route hits in place', async () => {
    const row = page.locator('#routes tr[data-route="api"]');
    await row.evaluate((tr) => ((tr as unknown as { marked: boolean }).marked = true));
    await (await fetch(`${lb.url}/v2/more`)).arrayBuffer();
    await page.evaluate(() => (window as unknown as Dashboard).switchyard.refresh());
    assert.equal(await row.locator('td.hits').textContent(), '4');
    assert.equal(await row.evaluate((tr) => (tr as unknown as { marked?: boolean }).marked), true, 'the same <tr>');
  });

  it("drains a server of a named service from its row: that service changes, the default service's copy does not", async () => {
    const inApi = `table[data-service="api"] tr[data-id="${A.id}"]`;
    await page.click(`${inApi} button.drain`);
    await page.waitForSelector(`${inApi} .badge.draining`);
    await page.waitForSelector(`.toast.ok:has-text("${A.id} (api): draining")`);
    const s = await stats();
    assert.equal(s.services.api.servers[A.id].status, 'draining');
    assert.equal(s.services.default.servers[A.id].status, 'healthy');
    assert.equal(s.servers[A.id].status, 'healthy');
    await refreshes(page, 1);
    assert.equal(await page.isVisible(`#servers tr[data-id="${A.id}"] .badge.healthy`), true);
    // The api service sends nothing to A now; the default service still does.
    for (let i = 0; i < 4; i++) assert.equal((await fetch(`${lb.url}/v2/x`)).headers.get('x-served-by'), `api/${D.id}`);
    const other = new Set<string>();
    for (let i = 0; i < 4; i++) other.add((await fetch(`${lb.url}/elsewhere`)).headers.get('x-served-by') ?? '');
    assert.ok(other.has(A.id), `the default service still uses A: ${[...other]}`);
    await page.click(`${inApi} button.drain`);
    await page.waitForSelector(`${inApi} .badge.healthy`);
  });

  it("adds a server to a named service through its form, changes its weight in its row, and removes it", async () => {
    const form = 'section[data-service="web_next"] form';
    await page.fill(`${form} input[name=url]`, 'ftp://nope');
    await page.click(`${form} button[type=submit]`);
    await page.waitForSelector('section[data-service="web_next"] .add-errors li');
    assert.match((await page.textContent('section[data-service="web_next"] .add-errors'))!, /url: .*http/);
    assert.equal(await page.textContent('#add-errors'), '', "the default service's form shows nothing");
    await page.fill(`${form} input[name=url]`, E.url);
    await page.click(`${form} button[type=submit]`);
    const row = `table[data-service="web_next"] tr[data-id="${E.id}"]`;
    await page.waitForSelector(row);
    let s = await stats();
    assert.ok(s.services.web_next.servers[E.id], 'added to web_next');
    assert.equal(s.services.default.servers[E.id], undefined, 'not to the default service');
    assert.equal(await page.$(`#servers tr[data-id="${E.id}"]`), null);

    const weight = page.locator(`${row} input.weight`);
    await weight.fill('3');
    await weight.press('Tab');
    await page.waitForSelector(`.toast.ok:has-text("${E.id} (web_next): weight 3")`);
    s = await stats();
    assert.equal(s.services.web_next.servers[E.id].weight, 3);

    page.once('dialog', (d) => void d.accept());
    await page.click(`${row} button.remove`);
    await page.waitForSelector(row, { state: 'detached' });
    s = await stats();
    assert.equal(s.services.web_next.servers[E.id], undefined);
    assert.deepEqual(Object.keys(s.services.web_next.servers), [C.id]);
  });

  it('gives a service added through the API a card, and takes it away when the service goes', async () => {
    const put = await fetch(`${lb.url}/_lb/services/batch`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ servers: [{ url: E.url }] }) });
    assert.ok(put.ok, `${put.status} ${await put.text()}`);
    await page.evaluate(() => (window as unknown as Dashboard).switchyard.refresh());
    await page.waitForSelector(`table[data-service="batch"] tr[data-id="${E.id}"]`);
    assert.match((await page.textContent('section[data-service="batch"] .svc-totals'))!, /added through the api/);
    assert.deepEqual(await page.$$eval('#services > section:not([hidden])', (secs) => secs.map((s) => s.getAttribute('data-service'))), ['default', 'web_next', 'api', 'batch']);
    assert.equal((await fetch(`${lb.url}/_lb/services/batch`, { method: 'DELETE' })).status, 200);
    await page.evaluate(() => (window as unknown as Dashboard).switchyard.refresh());
    await page.waitForSelector('section[data-service="batch"]', { state: 'detached' });
    assert.deepEqual(await page.$$eval('#chart-service option', (os) => os.map((o) => o.textContent)), ['default', 'web_next', 'api']);
  });

  it("draws the charts for the service chosen above them", async () => {
    const legend = () => page.$$eval('#chart-distribution li', (lis) => lis.map((li) => li.textContent!.replace(/: \d+$/, '')));
    assert.deepEqual(await legend(), [A.id, B.id], 'the default service first');
    await page.selectOption('#chart-service', 'api');
    assert.deepEqual(await legend(), [D.id, A.id]);
    const series = () => page.evaluate(() => ((window as unknown as Dashboard).switchyard.charts.active.plot as unknown as { series: Array<{ label?: string }> }).series.slice(1).map((x) => x.label));
    assert.deepEqual(await series(), [D.id, A.id]);
    await page.evaluate(() => (window as unknown as Dashboard).switchyard.refresh());
    assert.equal(await page.inputValue('#chart-service'), 'api', 'the choice stays across refreshes');
    assert.deepEqual(await legend(), [D.id, A.id]);
    await page.selectOption('#chart-service', 'default');
    assert.deepEqual(await series(), [A.id, B.id]);
    assert.deepEqual(errors, []);
  });

  it('fits a phone screen with every service and the routes', async () => {
    mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: join(OUT, 'dashboard-services.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `page is ${overflow}px wider than a phone`);
    const routes = await page.evaluate(() => {
      const card = document.querySelector('#routes-card')!.getBoundingClientRect();
      const table = document.querySelector('#routes')!.getBoundingClientRect();
      return { card: card.right, table: table.right };
    });
    assert.ok(routes.table <= routes.card, `the routes fit their card at phone width: ${JSON.stringify(routes)}`);
    await page.screenshot({ path: join(OUT, 'dashboard-services-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 1400 });
  });
});
