/** What the page inlines: uPlot (script and styles), the minified dashboard client and its traffic-control card. */
export interface PageParts {
  uplotJs: string;
  uplotCss: string;
  clientJs: string;
  trafficJs: string;
}

const CSS = `
*{box-sizing:border-box}[hidden]{display:none!important}body{margin:0;font:14px/1.45 system-ui,-apple-system,sans-serif;color:#111827;background:#f3f4f6}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.75rem 1rem;background:#111827;color:#f9fafb}
header h1{font-size:1.1rem;margin:0 auto 0 0}header label,header button{font-size:.85rem}
button{cursor:pointer;border:1px solid #9ca3af;background:#fff;color:#111827;border-radius:6px;padding:.3rem .7rem}
button.danger{border-color:#dc2626;color:#dc2626}header button{background:#374151;color:#f9fafb;border-color:#4b5563}
main{padding:1rem;display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(300px,1fr))}
.card{background:#fff;border-radius:10px;padding:.8rem 1rem;box-shadow:0 1px 2px #0001;min-width:0}
.wide{grid-column:1/-1}.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:.75rem}
.kpi{min-width:0}.kpi b{display:block;font-size:1.35rem;line-height:1.2;overflow-wrap:anywhere}.kpi b.long{font-size:1.05rem}.kpi span{color:#6b7280;font-size:.8rem}
h2{font-size:.95rem;margin:.1rem 0 .6rem}table{width:100%;border-collapse:collapse}
.scroll{overflow-x:auto}th,td{padding:.35rem .45rem;border-bottom:1px solid #e5e7eb;text-align:left;white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums}input.weight{width:5em}
.badge{display:inline-block;border-radius:999px;padding:0 .5rem;font-size:.75rem;margin-right:.25rem;background:#e5e7eb}
.badge.healthy{background:#dcfce7;color:#166534}.badge.unhealthy,.badge.open{background:#fee2e2;color:#991b1b}.badge.draining{background:#fef3c7;color:#92400e}
.dot{display:inline-block;width:.6rem;height:.6rem;border-radius:50%;margin-right:.4rem;background:#9ca3af}
.dot.healthy{background:#16a34a}.dot.unhealthy{background:#dc2626}.dot.draining{background:#d97706}
.actions{display:flex;gap:.3rem}form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}
form label{display:flex;flex-direction:column;font-size:.8rem;color:#374151}form input[type=text],form input[type=url]{min-width:14rem}
input{padding:.3rem;border:1px solid #d1d5db;border-radius:6px}.add-errors{color:#b91c1c;margin:.4rem 0 0;padding-left:1.1rem}
#events{list-style:none;margin:0;padding:0;max-height:260px;overflow:auto}#events li{padding:.2rem 0;border-bottom:1px solid #f3f4f6}
.muted{color:#6b7280}.legend{list-style:none;padding:0;margin:.3rem 0 0;font-size:.8rem}.legend i{display:inline-block;width:.7rem;height:.7rem;margin-right:.3rem}
.chart{min-height:200px}#toasts{position:fixed;right:1rem;bottom:1rem;display:flex;flex-direction:column;gap:.4rem;z-index:9}
.toast{padding:.55rem .9rem;border-radius:8px;color:#fff;box-shadow:0 2px 6px #0003}.toast.ok{background:#166534}.toast.bad{background:#b91c1c}
#offline{background:#fee2e2;color:#991b1b;padding:.5rem 1rem}kbd{border:1px solid #6b7280;border-radius:3px;padding:0 .25rem;font-size:.75rem}
#services{display:contents}.svc-title code{font-size:.95rem}.svc-totals{margin:-.3rem 0 .5rem;color:#374151;display:flex;flex-wrap:wrap;gap:.15rem 1rem}
.svc-totals b{font-variant-numeric:tabular-nums}.svc-totals .tag{background:#e0e7ff;color:#3730a3;border-radius:999px;padding:0 .5rem;font-size:.75rem}
.chart-for{display:flex;align-items:center;gap:.5rem}.chart-for select{font:inherit;padding:.2rem}
#routes td{vertical-align:top}#routes .cond{display:block;white-space:normal;min-width:9rem}#routes code{background:#f3f4f6;border-radius:4px;padding:0 .25rem}
.split{display:grid;grid-template-columns:auto auto minmax(5rem,9rem) auto;gap:.15rem .5rem;align-items:center}
.bar{position:relative;display:block;height:.7rem;border-radius:4px;background:#e5e7eb;overflow:hidden}.bar .fill{position:absolute;inset:0 auto 0 0;background:#2563eb}
.bar .target{position:absolute;top:0;bottom:0;width:2px;margin-left:-1px;background:#111827}
@media (max-width:600px){main{padding:.5rem;gap:.5rem}header{padding:.5rem}
#routes thead{display:none}#routes tr{display:grid;grid-template-columns:auto 1fr auto;gap:.2rem .5rem;padding:.45rem 0;border-bottom:1px solid #e5e7eb}
#routes td{border:0;padding:0;white-space:normal}#routes td.idx{grid-area:1/1}#routes td.name{grid-area:1/2}#routes td.hits{grid-area:1/3}#routes td.hits::after{content:" hits";color:#6b7280}
#routes td.when,#routes td.to,#routes td.fallback{grid-column:1/-1}#routes td.fallback::before{content:"fallback ";color:#6b7280}#routes td.fallback.none{display:none}#routes td.to::before{content:"to ";color:#6b7280}#routes td.to:has(.split)::before{content:"split by weight";display:block}
.split{grid-template-columns:auto 1fr}}
#traffic-card h3{font-size:.85rem;margin:.7rem 0 .3rem;color:#374151}#traffic-card h3:first-of-type{margin-top:0}.traffic td.bad{color:#b91c1c;font-weight:600}.traffic th.num{text-align:right}
.traffic .qbar{display:inline-block;width:3.5rem;height:.55rem;margin-left:.45rem;vertical-align:middle}.traffic input.shed-percent{width:4.5em}.traffic .shed-control{align-items:center}
@media (max-width:600px){.traffic thead{display:none}.traffic tr{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:.15rem .75rem;padding:.45rem 0;border-bottom:1px solid #e5e7eb}
.traffic td{border:0;padding:0;white-space:normal;text-align:left}.traffic td.head{grid-column:1/-1}.traffic td[data-label]::before{content:attr(data-label) ": ";color:#6b7280;font-weight:400}.traffic td.none{display:none}
.traffic td.shed-control{grid-column:1/-1}}`;

/**
 * One service's card: its name and totals (shown once there is more than the
 * default service), its servers table and its add-server form. The default
 * service's card is in the page with the ids it always had (`#servers`,
 * `#add`, `#add-errors`); the client clones the others from a template.
 */
function serviceCard(isDefault: boolean): string {
  const id = (name: string) => (isDefault ? ` id="${name}"` : '');
  return `<section class="card wide service"${isDefault ? ' data-service="default"' : ''}><h2 class="svc-title">Servers</h2>
<p class="svc-totals" hidden></p>
<div class="scroll"><table${id('servers')}${isDefault ? ' data-service="default"' : ''}><thead><tr>
<th>server</th><th>health</th><th>weight</th><th>active</th><th>requests</th><th>errors</th><th>avg</th><th>p99</th><th></th></tr></thead><tbody></tbody></table></div>
<form${id('add')} class="add" novalidate><label>URL<input name="url" type="url" required placeholder="http://127.0.0.1:8004"></label>
<label>Weight<input name="weight" type="number" min="0.01" step="any" value="1" style="width:6em"></label>
<label>Name<input name="name" type="text" placeholder="optional" style="min-width:8rem"></label>
<label><span><input name="backup" type="checkbox"> backup</span></label><button type="submit">Add server</button></form>
<ul${id('add-errors')} class="add-errors" aria-live="polite"></ul></section>`;
}

/**
 * The traffic-control card (filled by traffic.js): the limits, and each service's queue and
 * shedding. Hidden until the stats show a limit, a server cap, a queue used or load shed.
 */
const TRAFFIC_CARD = `<section class="card wide" id="traffic-card" hidden><h2>Traffic control</h2>
<div id="limits-part" hidden><h3>Limits</h3><div class="scroll"><table id="limits" class="traffic"><thead><tr>
<th>limit</th><th>kind</th><th>scope</th><th>per</th><th>setting</th><th>store</th><th class="num">allowed</th><th class="num">refused</th></tr></thead><tbody></tbody></table></div></div>
<div id="queues-part" hidden><h3>Queues and load shedding, per service</h3><div class="scroll"><table id="queues" class="traffic"><thead><tr>
<th>service</th><th class="num">waiting</th><th class="num">low priority</th><th class="num">queued</th><th class="num">timed out</th><th class="num">queue full</th><th class="num">wait avg / max</th><th class="num">timeout</th><th>shedding</th><th class="num">shed</th><th>set shedding</th></tr></thead><tbody></tbody></table></div></div></section>`;

/**
 * The dashboard page: one self-contained HTML document (no CDN). It talks to
 * the API it is served under (`PREFIX/dashboard` → `PREFIX/stats`, ...), so
 * one generated file serves every prefix and every runtime.
 */
export function dashboardPage({ uplotJs, uplotCss, clientJs, trafficJs }: PageParts): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Switchyard dashboard</title><style>${uplotCss}${CSS}</style></head>
<body>
<header><h1>Switchyard</h1>
<label>Refresh <select id="interval" aria-label="refresh interval">${[1, 2, 3, 5, 10].map((s) => `<option value="${s}"${s === 2 ? ' selected' : ''}>${s} s</option>`).join('')}</select></label>
<button id="pause" aria-pressed="false">Pause</button><button id="refresh">Refresh</button>
<span id="updated" class="muted"></span></header>
<div id="offline" hidden></div>
<main>
<section class="card wide"><div class="kpis">
<div class="kpi"><b id="algorithm">–</b><span>algorithm</span></div>
<div class="kpi"><b id="servers-count">–</b><span>healthy / servers</span></div>
<div class="kpi"><b id="requests">–</b><span>requests</span></div>
<div class="kpi"><b id="errors">–</b><span>errors</span></div>
<div class="kpi"><b id="error-rate">–</b><span>error rate</span></div>
<div class="kpi"><b id="rps">–</b><span>requests/s (10 s)</span></div>
<div class="kpi"><b id="sessions">–</b><span>sticky sessions</span></div>
<div class="kpi"><b id="uptime">–</b><span>uptime</span></div></div></section>
<div id="services">${serviceCard(true)}</div>
<section class="card wide" id="routes-card" hidden><h2>Routes</h2><div class="scroll"><table id="routes"><thead><tr>
<th>#</th><th>route</th><th>when</th><th>to</th><th>fallback</th><th>hits</th></tr></thead><tbody></tbody></table></div></section>
${TRAFFIC_CARD}
<div id="chart-for" class="wide chart-for" hidden><label>Charts for service <select id="chart-service" aria-label="service the charts show"></select></label></div>
<section class="card"><h2>Request distribution</h2><div id="chart-distribution" class="chart"></div></section>
<section class="card"><h2>Response times (avg)</h2><div id="chart-times" class="chart"></div></section>
<section class="card"><h2>Latency percentiles</h2><div id="chart-percentiles" class="chart"></div></section>
<section class="card"><h2>Active connections</h2><div id="chart-active" class="chart"></div></section>
<section class="card"><h2>Error trend</h2><div id="chart-errors" class="chart"></div></section>
<section class="card"><h2>Health events</h2><ul id="events"></ul></section>
<section class="card muted">Shortcuts: <kbd>Ctrl</kbd>/<kbd>⌘</kbd>+<kbd>R</kbd> refresh · <kbd>Ctrl</kbd>/<kbd>⌘</kbd>+<kbd>Space</kbd> pause/resume.
Writes ask for the admin token when one is needed and keep it for this browser session only.</section>
</main><div id="toasts" aria-live="polite"></div>
<template id="service-card">${serviceCard(false)}</template>
<script>${uplotJs}</script><script>${trafficJs}</script><script>${clientJs}</script></body></html>`;
}
