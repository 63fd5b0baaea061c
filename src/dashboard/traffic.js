// The dashboard's "Traffic control" card: the rate limits and concurrency caps, and per service
// its queue and its load shedding, from /api/stats. Plain browser JavaScript, no build; the page
// loads it before client.js, whose render(s) calls window.switchyardTraffic(s, tools) on every
// refresh with its own helpers (api, el, text, toast, refresh).
(() => {
  const $ = (sel) => document.querySelector(sel);
  /** Rows by identity, kept across refreshes and patched in place. */
  const limitRows = new Map();
  const serviceRows = new Map();

  /** A limit's scope as the page says it: global, route NAME, service NAME. */
  const scopeText = (scope) => String(scope).replace(/^(route|service):/, '$1 ');
  /** Milliseconds as the page says them: "85 ms", "1.2 s". */
  const ms = (n) => (n >= 1000 ? `${Math.round(n / 100) / 10} s` : `${Math.round(n)} ms`);

  /**
   * Whether a service shows anything of traffic control: a server with a cap, a queue that was
   * ever used, load shed now or before.
   */
  const serviceActive = (svc) => queues(svc) || svc.shed_percent > 0 || svc.shed > 0;
  /** Whether a service can queue (a server of it has a cap) or ever did. */
  function queues(svc) {
    const q = svc.queue ?? {};
    return Object.values(svc.servers ?? {}).some((v) => v.max_conns > 0) || q.length > 0 || q.queued_total > 0 || q.refused_full > 0 || q.timed_out > 0;
  }

  /**
   * Keeps `rows` (key → row with a `tr`) in `tbody` in the order of `items`: a new item gets a
   * row from `create`, every row is patched by `update`, rows of items gone are removed.
   */
  function sync(tbody, rows, items, keyOf, create, update) {
    const seen = new Set();
    items.forEach((item, i) => {
      const key = keyOf(item);
      seen.add(key);
      let row = rows.get(key);
      if (!row) rows.set(key, (row = create(item)));
      update(row, item);
      const at = tbody.children[i];
      if (at !== row.tr) tbody.insertBefore(row.tr, at ?? null);
    });
    for (const [key, row] of rows) {
      if (seen.has(key)) continue;
      row.tr.remove();
      rows.delete(key);
    }
  }

  // --- limits -----------------------------------------------------------------
  /** One row per limit; `kind` is "rate" or "in progress". */
  function createLimitRow(t, l) {
    const cell = (cls, label) => t.el('td', { class: cls, 'data-label': label });
    const row = { name: t.el('b'), kind: cell('kind', 'kind'), scope: cell('scope', 'scope'), key: t.el('code'), setting: cell('setting', 'setting'), store: cell('store', 'store'), allowed: cell('num allowed', 'allowed'), refused: cell('num refused', 'refused') };
    row.tr = t.el('tr', { 'data-limit': l.name, 'data-kind': l.kind }, t.el('td', { class: 'head' }, row.name), row.kind, row.scope, t.el('td', { class: 'key', 'data-label': 'per' }, row.key), row.setting, row.store, row.allowed, row.refused);
    return row;
  }
  function updateLimitRow(t, row, l) {
    t.text(row.name, l.name);
    t.text(row.kind, l.kind);
    t.text(row.scope, scopeText(l.scope));
    t.text(row.key, l.key);
    if (l.kind === 'rate') {
      t.text(row.setting, `${l.rate}, burst ${l.burst}${l.headers ? ', headers' : ''}`);
      t.text(row.store, `${l.store} (${l.exactness})`);
      t.text(row.allowed, l.allowed);
    } else {
      t.text(row.setting, `${l.limit} at once`);
      // Concurrency counts live in each process (each isolate on Workers).
      t.text(row.store, 'memory (per process)');
      t.text(row.allowed, `${l.in_progress} in progress`);
    }
    t.text(row.refused, l.refused);
    row.refused.classList.toggle('bad', l.refused > 0);
  }

  // --- services: queue and shedding ---------------------------------------------
  function createServiceRow(t, name) {
    const cell = (cls, label) => t.el('td', { class: cls, 'data-label': label });
    const row = { name, rendered: null, submitted: false };
    row.length = t.el('span');
    row.fill = t.el('i', { class: 'fill' });
    row.bar = t.el('span', { class: 'bar qbar' }, row.fill);
    row.waiting = t.el('td', { class: 'num waiting', 'data-label': 'waiting' }, row.length, row.bar);
    row.low = cell('num low', 'low priority');
    row.queued = cell('num queued', 'queued');
    row.timedOut = cell('num timed-out', 'timed out');
    row.full = cell('num full', 'queue full');
    row.wait = cell('num wait', 'wait avg / max');
    row.timeout = cell('num timeout', 'timeout');
    row.percent = t.el('b');
    row.source = t.el('span', { class: 'muted' });
    row.shedding = t.el('td', { class: 'shedding', 'data-label': 'shedding' }, row.percent, ' ', row.source);
    row.shed = cell('num shed', 'shed');
    row.input = t.el('input', { type: 'number', min: '0', max: '100', step: 'any', class: 'shed-percent', 'aria-label': `shed percent of ${name}` });
    row.input.addEventListener('input', () => (row.submitted = false));
    row.input.addEventListener('change', () => {
      row.submitted = true;
      const v = row.input.value.trim();
      setShed(t, name, v === '' ? null : Number(v));
    });
    row.reset = t.el('button', { class: 'shed-reset', title: "back to the service's configured shed_percent", onclick: () => setShed(t, name, null) }, 'Reset');
    row.tr = t.el(
      'tr',
      { 'data-service': name },
      t.el('td', { class: 'head' }, t.el('code', {}, name)),
      row.waiting,
      row.low,
      row.queued,
      row.timedOut,
      row.full,
      row.wait,
      row.timeout,
      row.shedding,
      row.shed,
      t.el('td', { class: 'actions shed-control', 'data-label': 'set shedding' }, row.input, t.el('span', { class: 'muted' }, '%'), row.reset),
    );
    return row;
  }
  function updateServiceRow(t, row, [, svc]) {
    const q = svc.queue ?? {};
    // A service whose servers have no cap never queues: its queue figures would only be zeros.
    const used = queues(svc);
    const dash = (v) => (used ? v : '–');
    t.text(row.length, used ? `${q.length} / ${q.max_queue}` : 'no server cap');
    row.bar.hidden = !used;
    const width = `${q.max_queue ? Math.min(100, Math.round((q.length / q.max_queue) * 1000) / 10) : 0}%`;
    if (row.fill.style.width !== width) row.fill.style.width = width;
    t.text(row.low, dash(q.waiting_low));
    t.text(row.queued, dash(q.queued_total));
    t.text(row.timedOut, dash(q.timed_out));
    t.text(row.full, dash(q.refused_full));
    t.text(row.wait, dash(q.queued_total ? `${ms(q.wait_ms_avg)} / ${ms(q.wait_ms_max)}` : '–'));
    t.text(row.timeout, dash(ms(q.timeout_ms ?? 0)));
    // On a phone the cells that would only say "–" are left out.
    for (const c of [row.low, row.queued, row.timedOut, row.full, row.wait, row.timeout]) c.classList.toggle('none', !used);
    row.timedOut.classList.toggle('bad', q.timed_out > 0);
    row.full.classList.toggle('bad', q.refused_full > 0);
    t.text(row.percent, `${svc.shed_percent}%`);
    t.text(row.source, svc.shed_percent_source === 'api' ? 'set through the API' : 'from the config');
    t.text(row.shed, svc.shed);
    row.shed.classList.toggle('bad', svc.shed > 0);
    row.reset.hidden = svc.shed_percent_source !== 'api';
    // Never overwrite what the user is typing (as the weights do).
    const input = row.input;
    const editing = document.activeElement === input || (row.rendered !== null && input.value !== row.rendered && !row.submitted);
    if (!editing) {
      row.rendered = String(svc.shed_percent);
      if (input.value !== row.rendered) input.value = row.rendered;
      row.submitted = false;
    }
  }
  async function setShed(t, name, percent) {
    try {
      const r = await t.api('PATCH', `/services/${encodeURIComponent(name)}`, { shed_percent: percent });
      const now = r.service?.shed_percent;
      t.toast(percent === null ? `${name}: shed_percent back to the config's (${now}%)` : `${name}: shedding ${now}%`);
    } catch (e) {
      t.toast(`${name}: ${e.message} ${(e.errors ?? []).join('; ')}`, false);
    }
    t.refresh();
  }

  /**
   * Renders the card from the stats `s`: hidden while no limit is configured and no service has
   * a server cap, a queue ever used or load shed (so a plain config looks as it always did).
   */
  window.switchyardTraffic = (s, t) => {
    const limits = [...(s.rate_limits ?? []).map((l) => ({ ...l, kind: 'rate' })), ...(s.concurrency_limits ?? []).map((l) => ({ ...l, kind: 'in progress' }))];
    const services = Object.entries(s.services ?? {}).filter(([, svc]) => svc.queue);
    const shown = limits.length > 0 || services.some(([, svc]) => serviceActive(svc));
    $('#traffic-card').hidden = !shown;
    $('#limits-part').hidden = !limits.length;
    // Once the card shows, every service has a row: its shedding can be set from there.
    $('#queues-part').hidden = !services.length;
    sync($('#limits tbody'), limitRows, limits, (l) => `${l.kind}\n${l.scope}\n${l.name}`, (l) => createLimitRow(t, l), (row, l) => updateLimitRow(t, row, l));
    sync($('#queues tbody'), serviceRows, shown ? services : [], ([name]) => name, ([name]) => createServiceRow(t, name), (row, item) => updateServiceRow(t, row, item));
  };
})();
