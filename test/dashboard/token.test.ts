/**
 * How the dashboard page, in headless Chromium, answers a write the API
 * refuses: a 401 (token missing or wrong) asks for the token, dropping a
 * stored one that was refused; a 403, which no token would change, is shown
 * as an error and asks nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startBackend, type TestBackend } from '../fixtures/backends.ts';
import { startEntry, writeConfig, type Running } from '../conformance/harness.ts';
import { CHROMIUM_MISSING, LAUNCH } from '../fixtures/chromium.ts';

const skip = CHROMIUM_MISSING;
const TOKEN = 'dashboard-token-test';

describe('dashboard: a refused write', { skip, timeout: 120_000 }, () => {
  let backends: TestBackend[];
  let lb: Running;
  let browser: Browser;

  before(async () => {
    backends = await Promise.all(['A', 'B'].map((n) => startBackend(n)));
    lb = await startEntry('node', ['--config', writeConfig({ load_balancer: { port: 0 }, servers: backends.map((b) => ({ url: b.url })), admin: { token: TOKEN }, log_level: 'warn' })]);
    browser = await chromium.launch(LAUNCH);
  });
  after(async () => {
    await browser?.close();
    await lb?.stop('SIGKILL');
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  /** A fresh tab on the dashboard whose session holds `stored`; every dialog's message is kept and answered with `answer`. */
  async function open(stored: string | null, answer: string): Promise<{ tab: Page; prompts: string[] }> {
    const context = await browser.newContext();
    if (stored) await context.addInitScript((t) => sessionStorage.getItem('switchyard-token') ?? sessionStorage.setItem('switchyard-token', t), stored);
    const tab = await context.newPage();
    const prompts: string[] = [];
    tab.on('dialog', (d) => {
      prompts.push(d.message());
      void d.accept(answer);
    });
    await tab.goto(`${lb.url}/api/dashboard`);
    await tab.waitForSelector(`#servers tr[data-id="${backends[0].id}"]`);
    return { tab, prompts };
  }

  it('a wrong stored token (401 invalid_token) is dropped and asked for again, once', async () => {
    const { tab, prompts } = await open('not-the-token', TOKEN);
    try {
      const id = backends[0].id;
      await tab.click(`#servers tr[data-id="${id}"] button.drain`);
      await tab.waitForSelector(`#servers tr[data-id="${id}"] .badge.draining`);
      assert.equal(prompts.length, 1);
      assert.match(prompts[0], /does not match/);
      assert.equal(await tab.evaluate(() => sessionStorage.getItem('switchyard-token')), TOKEN);
      await tab.click(`#servers tr[data-id="${id}"] button.drain`);
      await tab.waitForSelector(`#servers tr[data-id="${id}"] .badge.healthy`);
      assert.equal(prompts.length, 1, 'the right token is kept');
    } finally {
      await tab.context().close();
    }
  });

  it('a 403 shows its reason and asks for no token', async () => {
    const { tab, prompts } = await open(TOKEN, 'never-asked');
    try {
      const detail = 'No admin token is set, so writes are accepted from loopback clients only.';
      await tab.route((url) => url.pathname.includes('/servers/'), (route) =>
        route.request().method() === 'PATCH'
          ? route.fulfill({ status: 403, contentType: 'application/problem+json', body: JSON.stringify({ type: 'urn:switchyard:problem:unauthorized', title: 'Forbidden', status: 403, detail }) })
          : route.continue(),
      );
      await tab.click(`#servers tr[data-id="${backends[1].id}"] button.drain`);
      const toast = await tab.waitForSelector('.toast.bad');
      assert.match((await toast.textContent()) ?? '', /loopback clients only/);
      assert.deepEqual(prompts, []);
      assert.equal(await tab.evaluate(() => sessionStorage.getItem('switchyard-token')), TOKEN, 'the stored token is kept');
    } finally {
      await tab.context().close();
    }
  });
});
