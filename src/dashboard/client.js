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
  const history = { t: [], active: new Map(), errors: [] };
  let last = null;
  let timer = null;
  let paused = false;
  let lastErrors = 0;

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
    if ((res.status === 401 || res.status === 403) && method !== 'GET') {
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
    if (!c.plot || c.plot.series.length !== opts.series.length) {
      c.plot?.destroy();
      c.box.textContent = '';
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

  /** One server's row, built once; `updateRow` patches it on every refresh. */
  function createRow(id) {
    const row = { id, status: null, circuit: null, rendered: null, submitted: false };
    row.dot = el('span', { class: 'dot' });
    row.name = el('span');
    row.health = el('td');
    row.weight = el('input', { type: 'number', min: '0.01', step: 'any', 'aria-label': `weight of ${id}`, class: 'weight' });
    // A value is "submitted" from its change event until the user types again.
    row.weight.addEventListener('input', () => (row.submitted = false));
    row.weight.addEventListener('change', () => {
      row.submitted = true;
      change(id, { weight: Number(row.weight.value) });
    });
    row.nums = [0, 1, 2, 3, 4].map(() => el('td', { class: 'num' }));
    row.drain = el('button', { class: 'drain', onclick: () => change(id, { drain: row.status !== 'draining' }) });
    row.tr = el(
      'tr',
      { 'data-id': id },
      el('td', {}, row.dot, row.name, el('code', {}, id)),
      row.health,
      el('td', {}, row.weight),
      ...row.nums,
      el('td', { class: 'actions' }, row.drain, el('button', { class: 'remove danger', onclick: () => remove(id) }, 'Remove')),
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
    [v.active_connections, v.requests, v.errors, `${v.avg_response_time_ms} ms`, `${v.p99_ms} ms`].forEach((x, i) => text(row.nums[i], x));
  }
  /**
   * Renders `servers` (stats' server objects, in display order) into a table body, keeping
   * one <tr> per server id across refreshes: new servers get a row, removed ones lose theirs,
   * the others are patched in place.
   */
  function renderServers(tbody, servers) {
    let rows = tables.get(tbody);
    if (!rows) tables.set(tbody, (rows = new Map()));
    const seen = new Set();
    servers.forEach((v, i) => {
      seen.add(v.id);
      let row = rows.get(v.id);
      if (!row) rows.set(v.id, (row = createRow(v.id)));
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

  let refreshes = 0;
  function render(s) {
    last = s;
    const servers = Object.values(s.servers);
    kpi('algorithm', s.algorithm);
    kpi('servers-count', `${s.healthy_servers} / ${s.total_servers}`);
    kpi('requests', s.total_requests);
    kpi('errors', s.failed_requests);
    kpi('error-rate', `${s.error_rate}%`);
    kpi('rps', s.requests_per_second);
    kpi('sessions', s.sessions ?? 'off');
    kpi('uptime', `${s.uptime}s`);
    renderServers($('#servers tbody'), servers);
    const names = servers.map((v) => v.id);
    const now = Date.now() / 1000;
    history.t.push(now);
    for (const v of servers) {
      if (!history.active.has(v.id)) history.active.set(v.id, new Array(history.t.length - 1).fill(null));
    }
    for (const [id, arr] of history.active) arr.push(s.servers[id]?.active_connections ?? null);
    history.errors.push(Math.max(0, s.failed_requests - lastErrors));
    lastErrors = s.failed_requests;
    if (history.t.length > HISTORY) {
      history.t.shift();
      history.errors.shift();
      for (const arr of history.active.values()) arr.shift();
    }
    drawDoughnut($('#chart-distribution'), names, servers.map((v) => v.requests));
    const labels = servers.map(short);
    drawBars(charts.times, labels, [{ label: 'avg ms', values: servers.map((v) => v.avg_response_time_ms) }]);
    drawBars(charts.percentiles, labels, [
      { label: 'p50', values: servers.map((v) => v.p50_ms) },
      { label: 'p95', values: servers.map((v) => v.p95_ms) },
      { label: 'p99', values: servers.map((v) => v.p99_ms) },
    ]);
    drawLine(charts.active, history.t, [...history.active].map(([id, values]) => ({ label: id, values })));
    drawLine(charts.errors, history.t, [{ label: 'errors per refresh', values: history.errors }]);
    $('#events').replaceChildren(
      ...(s.events.length ? s.events.slice(-15).reverse().map((e) => el('li', {}, el('time', {}, e.at.slice(11, 19)), ' ', el('code', {}, e.server), ` ${e.from} → ${e.to}: ${e.reason}`)) : [el('li', { class: 'muted' }, 'No health events yet.')]),
    );
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

  async function change(id, patch) {
    try {
      await api('PATCH', `/servers/${id}`, patch);
      toast(`${id}: ${patch.drain === true ? 'draining' : patch.drain === false ? 'back in rotation' : `weight ${patch.weight}`}`);
    } catch (e) {
      toast(`${id}: ${e.message} ${e.errors.join('; ')}`, false);
    }
    refresh();
  }
  async function remove(id) {
    if (!confirm(`Remove ${id}?`)) return;
    try {
      await api('DELETE', `/servers/${id}`);
      toast(`${id} removed`);
    } catch (e) {
      toast(`${id}: ${e.message}`, false);
    }
    refresh();
  }

  $('#add').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    const errors = $('#add-errors');
    errors.replaceChildren();
    const body = { url: f.url.value.trim(), weight: Number(f.weight.value || 1) };
    if (f.name.value.trim()) body.name = f.name.value.trim();
    if (f.backup.checked) body.backup = true;
    try {
      const r = await api('POST', '/servers', body);
      toast(`${r.server.id} added`);
      f.reset();
    } catch (e) {
      errors.replaceChildren(...(e.errors.length ? e.errors : [e.message]).map((m) => el('li', {}, m)));
      toast(`Not added: ${e.message}`, false);
    }
    refresh();
  });
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
