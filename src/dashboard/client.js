// The dashboard's browser code: polls the stats API, draws charts with uPlot,
// and manages servers through the same API. Plain browser JavaScript, no build.
/* global uPlot */
(() => {
  // The API this page is served under: PREFIX/dashboard → PREFIX.
  const API = location.pathname.replace(/\/dashboard\/?$/, '');
  const $ = (sel) => document.querySelector(sel);
  const el = (tag, attrs = {}, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (v !== undefined && v !== null) e.setAttribute(k, v);
    }
    for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return e;
  };
  const COLORS = ['#2563eb', '#16a34a', '#d97706', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];
  const HISTORY = 120;
  // Per service: the time axis is shared; active connections by "service\nserver id", errors per refresh by service.
  const history = { t: [], active: new Map(), errors: new Map() };
  const lastErrors = new Map();
  let last = null;
  let timer = null;
  let paused = false;
  const DEFAULT = 'default';
  /** A service's server routes: PREFIX/services/NAME/servers. */
  const serversPath = (service) => `/services/${encodeURIComponent(service)}/servers`;

  function toast(text, ok = true) {
    const t = el('div', { class: `toast ${ok ? 'ok' : 'bad'}`, role: 'status' }, text);
    $('#toasts').append(t);
    setTimeout(() => t.remove(), 4000);
  }

  async function api(method, path, body) {
    const headers = { 'content-type': 'application/json' };
    const token = sessionStorage.getItem('switchyard-token');
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = await res.json().catch(() => ({}));
    // 401: the token is missing or wrong, so asking for it helps. A 403 (not from loopback, another
    // site, a host name not allowed) no token changes: its detail is shown as the error.
    if (res.status === 401 && method !== 'GET') {
      sessionStorage.removeItem('switchyard-token');
      const given = prompt(`${data.detail || 'This change needs the admin token.'}\n\nAdmin token (kept for this browser session only):`);
      if (given) {
        sessionStorage.setItem('switchyard-token', given);
        return api(method, path, body);
      }
    }
    if (!res.ok) {
      const err = new Error(data.detail || `HTTP ${res.status}`);
      err.errors = data.errors || [];
      throw err;
    }
    return data;
  }

  // --- charts -------------------------------------------------------------
  const charts = {};
  function size(box) {
    const w = Math.max(200, box.clientWidth - 4);
    return { width: w, height: 190 };
  }
  function lineChart(id, title) {
    const box = $(`#${id}`);
    return { box, plot: null, title };
  }
  function drawLine(c, xs, series) {
    const data = [xs, ...series.map((s) => s.values)];
    const opts = {
      ...size(c.box),
      legend: { show: true },
      scales: { x: { time: true } },
      axes: [{}, { size: 40 }],
      series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 2 }))],
    };
    // Rebuilt only when the series change (another service, a server added or removed).
    const key = JSON.stringify(series.map((s) => s.label));
    if (!c.plot || c.key !== key) {
      c.plot?.destroy();
      c.box.textContent = '';
      c.key = key;
      c.plot = new uPlot(opts, data, c.box);
    } else c.plot.setData(data);
  }
  /**
   * Grouped bars: each series gets its own slot (and colour) within each label's group.
   * The plot is built once per set of labels and series and then only fed new data, so
   * it does not flicker or lose its hover state every refresh. Bars start at zero.
   */
  function drawBars(c, labels, series) {
    const k = series.length;
    const xs = [];
    for (let i = 0; i < labels.length * k; i++) xs.push(i);
    const data = [xs, ...series.map((s, j) => xs.map((x) => (x % k === j ? s.values[Math.floor(x / k)] : null)))];
    const key = JSON.stringify([labels, series.map((s) => s.label)]);
    if (c.plot && c.key === key) {
      c.plot.setData(data);
      return;
    }
    const bars = uPlot.paths.bars({ size: [0.8, 40], align: 0 });
    const mid = Math.floor(k / 2);
    const opts = {
      ...size(c.box),
      legend: { show: k > 1, live: false },
      scales: {
        x: { time: false, range: [-0.6, xs.length - 0.4] },
        // Always from 0: an auto-ranged axis makes bars of similar height look wildly different.
        y: { range: (_, _min, max) => [0, max > 0 ? uPlot.rangeNum(0, max, 0.1, true)[1] : 1] },
      },
      axes: [
        { splits: () => xs.filter((x) => x % k === mid), values: (_, ticks) => ticks.map((t) => labels[Math.floor(t / k)] ?? ''), size: 36, gap: 4 },
        { size: 44 },
      ],
      series: [{}, ...series.map((s, i) => ({ label: s.label, fill: COLORS[i % COLORS.length], stroke: COLORS[i % COLORS.length], paths: bars, points: { show: false } }))],
    };
    c.plot?.destroy();
    c.box.textContent = '';
    c.key = key;
    c.plot = new uPlot(opts, data, c.box);
  }
  /** A short axis label: the server's name when short, else its port. */
  const short = (v) => (v.name !== v.id && v.name.length <= 12 ? v.name : `:${v.port}`);
  // uPlot draws axes-based charts; the distribution doughnut is a few arcs on a canvas.
  function drawDoughnut(box, labels, values) {
    let canvas = box.querySelector('canvas');
    if (!canvas) {
      canvas = el('canvas', { width: 190, height: 190, 'aria-label': 'request distribution' });
      box.append(canvas, el('ul', { class: 'legend' }));
    }
    const ctx = canvas.getContext('2d');
    const total = values.reduce((a, b) => a + b, 0);
    ctx.clearRect(0, 0, 190, 190);
    let angle = -Math.PI / 2;
    values.forEach((v, i) => {
      const a = total ? (v / total) * Math.PI * 2 : 0;
      ctx.beginPath();
      ctx.arc(95, 95, 85, angle, angle + a);
      ctx.arc(95, 95, 50, angle + a, angle, true);
      ctx.closePath();
      ctx.fillStyle = COLORS[i % COLORS.length];
      ctx.fill();
      angle += a;
    });
    if (!total) {
      ctx.beginPath();
      ctx.arc(95, 95, 85, 0, Math.PI * 2);
      ctx.arc(95, 95, 50, Math.PI * 2, 0, true);
      ctx.fillStyle = '#e5e7eb';
      ctx.fill();
    }
    const legend = box.querySelector('ul');
    legend.replaceChildren(...labels.map((l, i) => el('li', {}, el('i', { style: `background:${COLORS[i % COLORS.length]}` }), `${l}: ${values[i]}`)));
  }

  // --- rendering ----------------------------------------------------------
  /** Sets a node's text only when it changed (no needless DOM writes every refresh). */
  function text(node, value) {
    const v = String(value);
    if (node.textContent !== v) node.textContent = v;
  }
  /** A KPI figure; identifiers such as least_response_time may wrap after their underscores. */
  function kpi(id, value) {
    const node = $(`#${id}`);
    const v = String(value);
    if (node.textContent === v && node.childNodes.length) return;
    const parts = v.split(/(?<=_)/);
    node.replaceChildren(...parts.flatMap((p, i) => (i ? [el('wbr'), p] : [p])));
    node.classList.toggle('long', v.length > 10);
  }

  /** The rows of each rendered servers table, by server id: tbody → Map(id → row). */
  const tables = new WeakMap();
  /** The service a servers table belongs to (its table's data-service). */
  const serviceOf = (tbody) => tbody.closest('table')?.dataset.service ?? DEFAULT;
  /** A server as messages name it: its id, and its service unless that is the default one. */
  const where = (service, id) => (service === DEFAULT ? id : `${id} (${service})`);

  /** One server's row of one service, built once; `updateRow` patches it on every refresh. */
  function createRow(service, id) {
    const row = { id, status: null, circuit: null, rendered: null, submitted: false };
    row.dot = el('span', { class: 'dot' });
    row.name = el('span');
    row.health = el('td');
    row.weight = el('input', { type: 'number', min: '0.01', step: 'any', 'aria-label': `weight of ${where(service, id)}`, class: 'weight' });
    // A value is "submitted" from its change event until the user types again.
    row.weight.addEventListener('input', () => (row.submitted = false));
    row.weight.addEventListener('change', () => {
      row.submitted = true;
      change(service, id, { weight: Number(row.weight.value) });
    });
    row.nums = [0, 1, 2, 3, 4].map(() => el('td', { class: 'num' }));
    row.drain = el('button', { class: 'drain', onclick: () => change(service, id, { drain: row.status !== 'draining' }) });
    row.tr = el(
      'tr',
      { 'data-id': id },
      el('td', {}, row.dot, row.name, el('code', {}, id)),
      row.health,
      el('td', {}, row.weight),
      ...row.nums,
      el('td', { class: 'actions' }, row.drain, el('button', { class: 'remove danger', onclick: () => remove(service, id) }, 'Remove')),
    );
    return row;
  }
  function updateRow(row, v) {
    text(row.name, v.name !== v.id ? `${v.name} ` : '');
    if (row.status !== v.status || row.circuit !== v.circuit) {
      row.dot.className = `dot ${v.status}`;
      row.health.replaceChildren(el('span', { class: `badge ${v.status}` }, v.status), ...(v.circuit !== 'closed' ? [el('span', { class: 'badge open' }, `circuit ${v.circuit}`)] : []));
      text(row.drain, v.status === 'draining' ? 'Undrain' : 'Drain');
      row.status = v.status;
      row.circuit = v.circuit;
    }
    // Never overwrite what the user is typing: the input has focus, or holds an edit not yet submitted.
    const input = row.weight;
    const editing = document.activeElement === input || (row.rendered !== null && input.value !== row.rendered && !row.submitted);
    if (!editing) {
      row.rendered = String(v.weight);
      if (input.value !== row.rendered) input.value = row.rendered;
      row.submitted = false;
    }
    [v.max_conns > 0 ? `${v.active_connections} / ${v.max_conns}` : v.active_connections, v.requests, v.errors, `${v.avg_response_time_ms} ms`, `${v.p99_ms} ms`].forEach((x, i) => text(row.nums[i], x));
  }
  /**
   * Renders `servers` (stats' server objects, in display order) into a table body, keeping
   * one <tr> per server id across refreshes: new servers get a row, removed ones lose theirs,
   * the others are patched in place. The rows' buttons act on `service` (by default the one
   * the table is marked with).
   */
  function renderServers(tbody, servers, service = serviceOf(tbody)) {
    let rows = tables.get(tbody);
    if (!rows) tables.set(tbody, (rows = new Map()));
    const seen = new Set();
    servers.forEach((v, i) => {
      seen.add(v.id);
      let row = rows.get(v.id);
      if (!row) rows.set(v.id, (row = createRow(service, v.id)));
      updateRow(row, v);
      // Move a row only when it is out of place: moving a node takes the focus out of it.
      const at = tbody.children[i];
      if (at !== row.tr) tbody.insertBefore(row.tr, at ?? null);
    });
    for (const [id, row] of rows) {
      if (seen.has(id)) continue;
      row.tr.remove();
      rows.delete(id);
    }
  }

  // --- services -------------------------------------------------------------
  /**
   * One card per service, by name, built once: the default service's is in the page (with
   * the ids #servers, #add, #add-errors it always had), the others are cloned from a template.
   */
  const cards = new Map();
  function card(name) {
    let c = cards.get(name);
    if (c) return c;
    const sec = name === DEFAULT ? $('#services > section[data-service="default"]') : $('#service-card').content.firstElementChild.cloneNode(true);
    sec.setAttribute('data-service', name);
    sec.querySelector('table').setAttribute('data-service', name);
    c = { name, sec, title: sec.querySelector('.svc-title'), totals: sec.querySelector('.svc-totals'), tbody: sec.querySelector('tbody'), form: sec.querySelector('form'), errors: sec.querySelector('.add-errors'), figures: null, plain: null };
    c.form.addEventListener('submit', (ev) => addServer(ev, c));
    cards.set(name, c);
    return c;
  }
  /** A card's totals line, built once: each figure is a node patched on refresh. */
  function totalsLine(c) {
    const f = {};
    const item = (key, after = '', before = '') => el('span', {}, before, (f[key] = el('b')), after);
    f.origin = el('span', { class: 'tag' });
    f.rate = el('span');
    c.totals.replaceChildren(item('algorithm'), item('healthy', ' healthy'), item('requests', ' requests'), el('span', {}, (f.failed = el('b')), ' failed ', f.rate), item('rps', ' req/s'), item('sessions', '', 'sticky sessions '), item('checks', '', 'checks '), f.origin);
    c.figures = f;
  }
  function updateCard(c, svc, plain) {
    if (c.plain !== plain) {
      c.plain = plain;
      // Only the default service, as before services existed: the card looks as it always did.
      c.title.replaceChildren(...(plain ? ['Servers'] : ['Service ', el('code', {}, c.name)]));
      c.totals.hidden = plain;
    }
    if (!plain) {
      if (!c.figures) totalsLine(c);
      const f = c.figures;
      const hc = svc.health_check;
      text(f.algorithm, svc.algorithm);
      text(f.healthy, `${svc.healthy_servers} / ${svc.total_servers}`);
      text(f.requests, svc.total_requests);
      text(f.failed, svc.failed_requests);
      text(f.rate, `(${svc.error_rate}%)`);
      text(f.rps, svc.requests_per_second);
      text(f.sessions, svc.sessions ?? 'off');
      text(f.checks, hc?.enabled ? `${hc.path} every ${hc.interval_ms / 1000} s` : 'off');
      const origin = svc.origin === 'config' ? '' : svc.origin === 'registration' && svc.image_name ? `registered: ${svc.image_name}` : `added through the ${svc.origin}`;
      text(f.origin, origin);
      f.origin.hidden = !origin;
    }
    renderServers(c.tbody, Object.values(svc.servers), c.name);
  }
  /** Every service's card, in the stats' order (the default service's first, where it always was). */
  function renderServices(services, plain) {
    const first = $('#services > section[data-service="default"]');
    first.hidden = !services[DEFAULT];
    let prev = first;
    for (const [name, svc] of Object.entries(services)) {
      const c = card(name);
      if (name !== DEFAULT) {
        if (prev.nextElementSibling !== c.sec) prev.after(c.sec);
        prev = c.sec;
      }
      updateCard(c, svc, plain);
    }
    for (const [name, c] of cards) {
      if (services[name] || name === DEFAULT) continue;
      c.sec.remove();
      cards.delete(name);
    }
  }

  // --- routes -----------------------------------------------------------------
  /** A route's conditions as lines ("and" between them); no condition: every request. */
  function conditions(r) {
    const lines = [];
    const add = (what, value) => lines.push([`${lines.length ? 'and ' : ''}${what} `, el('code', {}, value)]);
    for (const [k, v] of Object.entries(r.match ?? {})) {
      if (k === 'host') add('host', v);
      else if (k === 'path') add('path', v);
      else if (k === 'path_prefix') add('path under', v);
      else if (k === 'methods') add('method', v.join(' | '));
      else if (k === 'headers') for (const [h, x] of Object.entries(v)) add('header', `${h}: ${x}`);
      else if (k === 'query') for (const [q, x] of Object.entries(v)) add('query', `${q}=${x}`);
      else add(k, JSON.stringify(v));
    }
    if (!lines.length) lines.push(['every request']);
    if (r.strip_prefix && r.match?.path_prefix !== undefined) lines.push([el('span', { class: 'muted' }, 'prefix stripped')]);
    return lines.map((l) => el('span', { class: 'cond' }, ...l));
  }
  const pct = (n, total) => (total ? Math.round((n / total) * 1000) / 10 : 0);
  /** One route's row, built once per route as configured; `updateRouteRow` patches its counts. */
  function createRouteRow(r, i) {
    const row = { hits: el('td', { class: 'num hits' }), members: [] };
    let target;
    if (r.split) {
      const total = r.split.reduce((a, m) => a + m.weight, 0);
      target = el('div', { class: 'split' });
      for (const m of r.split) {
        const member = { hits: el('span', { class: 'member-hits' }), fill: el('i', { class: 'fill' }), bar: null };
        member.bar = el('span', { class: 'bar' }, member.fill, el('i', { class: 'target', style: `left:${pct(m.weight, total)}%` }));
        const share = el('span', { class: 'muted' }, `weight ${m.weight} (${pct(m.weight, total)}%)`);
        // display:contents keeps the grid's columns while each member stays one element to select.
        target.append(el('div', { 'data-member': m.service, style: 'display:contents' }, el('code', {}, m.service), share, member.bar, member.hits));
        row.members.push(member);
      }
    } else target = r.service ? el('code', {}, r.service) : el('span', { class: 'muted' }, '–');
    row.tr = el(
      'tr',
      { 'data-route': r.name },
      el('td', { class: 'num muted idx' }, i + 1),
      el('td', { class: 'name' }, el('b', {}, r.name)),
      el('td', { class: 'when' }, ...conditions(r)),
      el('td', { class: 'to' }, target),
      el('td', { class: r.fallback ? 'fallback' : 'fallback none' }, r.fallback ? el('code', {}, r.fallback) : el('span', { class: 'muted' }, '–')),
      row.hits,
    );
    return row;
  }
  function updateRouteRow(row, r) {
    text(row.hits, r.requests);
    if (!r.split) return;
    const total = r.split.reduce((a, m) => a + m.requests, 0);
    const weights = r.split.reduce((a, m) => a + m.weight, 0);
    r.split.forEach((m, j) => {
      const member = row.members[j];
      text(member.hits, `${m.requests} req · ${pct(m.requests, total)}%`);
      const width = `${pct(m.requests, total)}%`;
      if (member.fill.style.width !== width) member.fill.style.width = width;
      member.bar.title = `${m.requests} of ${total} requests (${pct(m.requests, total)}%); weight ${m.weight} of ${weights} (${pct(m.weight, weights)}%)`;
    });
  }
  const routeRows = new Map();
  /** The routes in order; a route keeps its row while its configuration stays the same. */
  function renderRoutes(routes) {
    $('#routes-card').hidden = !routes.length;
    const tbody = $('#routes tbody');
    const seen = new Set();
    routes.forEach((r, i) => {
      const key = JSON.stringify([i, r.name, r.match, r.service, r.split?.map((m) => [m.service, m.weight]), r.fallback, r.strip_prefix]);
      seen.add(key);
      let row = routeRows.get(key);
      if (!row) routeRows.set(key, (row = createRouteRow(r, i)));
      updateRouteRow(row, r);
      const at = tbody.children[i];
      if (at !== row.tr) tbody.insertBefore(row.tr, at ?? null);
    });
    for (const [key, row] of routeRows) {
      if (seen.has(key)) continue;
      row.tr.remove();
      routeRows.delete(key);
    }
  }

  // --- charts' history and drawing --------------------------------------------
  /** Records this refresh for every service, so switching the charts' service shows its past too. */
  function record(services) {
    history.t.push(Date.now() / 1000);
    const n = history.t.length;
    for (const [name, svc] of Object.entries(services)) {
      for (const id of Object.keys(svc.servers)) {
        const k = `${name}\n${id}`;
        if (!history.active.has(k)) history.active.set(k, new Array(n - 1).fill(null));
      }
      if (!history.errors.has(name)) history.errors.set(name, new Array(n - 1).fill(null));
    }
    for (const [k, arr] of history.active) {
      const [name, id] = k.split('\n');
      arr.push(services[name]?.servers[id]?.active_connections ?? null);
    }
    for (const [name, arr] of history.errors) {
      const svc = services[name];
      arr.push(svc ? Math.max(0, svc.failed_requests - (lastErrors.get(name) ?? 0)) : null);
      if (svc) lastErrors.set(name, svc.failed_requests);
    }
    if (history.t.length > HISTORY) {
      history.t.shift();
      for (const m of [history.active, history.errors]) {
        for (const [k, arr] of m) {
          arr.shift();
          if (arr.every((x) => x === null)) m.delete(k); // a server or service gone for the whole window
        }
      }
    }
  }
  /** The service the charts show: a selector once there are several (the default service first). */
  function chartService(names) {
    const sel = $('#chart-service');
    const key = names.join('\n');
    if (sel.dataset.key !== key) {
      const keep = sel.value;
      sel.replaceChildren(...names.map((n) => el('option', { value: n }, n)));
      sel.dataset.key = key;
      sel.value = names.includes(keep) ? keep : names.includes(DEFAULT) ? DEFAULT : (names[0] ?? '');
    }
    $('#chart-for').hidden = names.length < 2;
    return sel.value;
  }
  function drawCharts(services) {
    const name = chartService(Object.keys(services));
    const servers = Object.values(services[name]?.servers ?? {});
    drawDoughnut($('#chart-distribution'), servers.map((v) => v.id), servers.map((v) => v.requests));
    const labels = servers.map(short);
    drawBars(charts.times, labels, [{ label: 'avg ms', values: servers.map((v) => v.avg_response_time_ms) }]);
    drawBars(charts.percentiles, labels, [
      { label: 'p50', values: servers.map((v) => v.p50_ms) },
      { label: 'p95', values: servers.map((v) => v.p95_ms) },
      { label: 'p99', values: servers.map((v) => v.p99_ms) },
    ]);
    const prefix = `${name}\n`;
    drawLine(charts.active, history.t, [...history.active].filter(([k]) => k.startsWith(prefix)).map(([k, values]) => ({ label: k.slice(prefix.length), values })));
    drawLine(charts.errors, history.t, [{ label: 'errors per refresh', values: history.errors.get(name) ?? history.t.map(() => null) }]);
  }

  let eventsKey = '';
  /** The latest events, newest first (rebuilt only when they changed); with several services, each names its own. */
  function renderEvents(events, multi) {
    const recent = events.slice(-15).reverse();
    const key = JSON.stringify([multi, recent.map((e) => [e.at, e.service, e.server, e.to])]);
    if (key === eventsKey) return;
    eventsKey = key;
    $('#events').replaceChildren(
      ...(recent.length
        ? recent.map((e) => el('li', {}, el('time', {}, e.at.slice(11, 19)), ' ', ...(multi && e.service ? [el('b', {}, e.service), ' '] : []), el('code', {}, e.server), ` ${e.from} → ${e.to}: ${e.reason}`))
        : [el('li', { class: 'muted' }, 'No health events yet.')]),
    );
  }

  /** The stats' services (a balancer from before services reports only the default service's servers). */
  const servicesOf = (s) => s.services ?? { [DEFAULT]: { ...s, name: DEFAULT } };

  let refreshes = 0;
  function render(s) {
    last = s;
    const services = servicesOf(s);
    const names = Object.keys(services);
    const plain = names.length === 1 && names[0] === DEFAULT;
    kpi('algorithm', s.algorithm);
    kpi('servers-count', `${s.healthy_servers} / ${s.total_servers}`);
    kpi('requests', s.total_requests);
    kpi('errors', s.failed_requests);
    kpi('error-rate', `${s.error_rate}%`);
    kpi('rps', s.requests_per_second);
    kpi('sessions', s.sessions ?? 'off');
    kpi('uptime', `${s.uptime}s`);
    renderServices(services, plain);
    renderRoutes(s.routes ?? []);
    window.switchyardTraffic?.(s, { api, el, text, toast, refresh }); // traffic.js: limits, queues, shedding
    record(services);
    drawCharts(services);
    renderEvents(s.events, !plain);
    $('#updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
    refreshes++;
    document.dispatchEvent(new CustomEvent('switchyard:refresh', { detail: refreshes }));
  }

  async function refresh() {
    try {
      render(await api('GET', '/stats'));
      $('#offline').hidden = true;
    } catch (e) {
      $('#offline').hidden = false;
      $('#offline').textContent = `Cannot reach the balancer: ${e.message}`;
    }
  }
  function schedule() {
    clearInterval(timer);
    if (!paused) timer = setInterval(refresh, Number($('#interval').value) * 1000);
    $('#pause').textContent = paused ? 'Resume' : 'Pause';
    $('#pause').setAttribute('aria-pressed', String(paused));
  }
  function togglePause() {
    paused = !paused;
    schedule();
    toast(paused ? 'Auto-refresh paused' : 'Auto-refresh resumed');
  }

  async function change(service, id, patch) {
    const who = where(service, id);
    try {
      await api('PATCH', `${serversPath(service)}/${id}`, patch);
      toast(`${who}: ${patch.drain === true ? 'draining' : patch.drain === false ? 'back in rotation' : `weight ${patch.weight}`}`);
    } catch (e) {
      toast(`${who}: ${e.message} ${e.errors.join('; ')}`, false);
    }
    refresh();
  }
  async function remove(service, id) {
    const who = where(service, id);
    if (!confirm(`Remove ${service === DEFAULT ? id : `${id} from ${service}`}?`)) return;
    try {
      await api('DELETE', `${serversPath(service)}/${id}`);
      toast(`${who} removed`);
    } catch (e) {
      toast(`${who}: ${e.message}`, false);
    }
    refresh();
  }

  /** A card's add-server form: the API validates it; its errors are listed under the form. */
  async function addServer(ev, c) {
    ev.preventDefault();
    const f = c.form;
    c.errors.replaceChildren();
    const body = { url: f.url.value.trim(), weight: Number(f.weight.value || 1) };
    if (f.name.value.trim()) body.name = f.name.value.trim();
    if (f.backup.checked) body.backup = true;
    try {
      const r = await api('POST', serversPath(c.name), body);
      toast(`${where(c.name, r.server.id)} added`);
      f.reset();
    } catch (e) {
      c.errors.replaceChildren(...(e.errors.length ? e.errors : [e.message]).map((m) => el('li', {}, m)));
      toast(`Not added: ${e.message}`, false);
    }
    refresh();
  }
  // The default service's form works before the first refresh too.
  card(DEFAULT);
  $('#chart-service').addEventListener('change', () => last && drawCharts(servicesOf(last)));
  $('#interval').addEventListener('change', schedule);
  $('#pause').addEventListener('click', togglePause);
  $('#refresh').addEventListener('click', refresh);
  document.addEventListener('keydown', (e) => {
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.key.toLowerCase() === 'r') {
      e.preventDefault();
      refresh();
      toast('Refreshed');
    } else if (mod && (e.code === 'Space' || e.key === ' ')) {
      e.preventDefault();
      togglePause();
    }
  });
  window.addEventListener('resize', () => {
    for (const c of Object.values(charts)) c.plot?.setSize(size(c.box));
  });

  charts.times = lineChart('chart-times');
  charts.percentiles = lineChart('chart-percentiles');
  charts.active = lineChart('chart-active');
  charts.errors = lineChart('chart-errors');
  // For tests and the curious: refresh now, the charts (uPlot instances under .plot), and how
  // many refreshes have been rendered (each also fires a `switchyard:refresh` event on document).
  window.switchyard = { refresh, charts, get paused() { return paused; }, get refreshes() { return refreshes; } };
  refresh();
  schedule();
})();
