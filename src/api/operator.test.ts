import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBackend, type TestBackend } from '../../test/fixtures/backends.ts';
import { parsePrometheus, PROMETHEUS_MISSING } from '../../test/fixtures/prometheus.ts';
import { testConfig } from '../../test/fixtures/config.ts';
import { nodeHmac } from '../runtime/hashes.ts';
import { createApp } from '../app.ts';
import type { Config } from '../config/types.ts';
import { createLogger } from '../core/log.ts';
import type { TestEnv as ConnEnv } from '../../test/fixtures/app.ts';
import { undiciTransport } from '../transport/undici.ts';

import { docsDoc, openApiDoc } from '../../test/fixtures/openapi.ts';

const transport = undiciTransport();
const local: ConnEnv = { clientIp: '127.0.0.1' };

function make(config: Config, lines?: string[]) {
  return createApp({
    config,
    transport,
    hmac: nodeHmac,
    openApi: openApiDoc,
    docs: docsDoc,
    clientIp: (c) => (c.env as ConnEnv).clientIp,
    ...(lines ? { log: createLogger('info', (l) => lines.push(l)) } : {}),
  }).app;
}

describe('operator surface: metrics, access log, CORS, OpenAPI', () => {
  let a: TestBackend, b: TestBackend;
  before(async () => {
    [a, b] = await Promise.all([startBackend('A'), startBackend('B')]);
  });
  after(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it('GET /api/metrics parses as Prometheus text with the counters the traffic produced', { skip: PROMETHEUS_MISSING }, async () => {
    const app = make(testConfig([a.url, b.url]));
    for (let i = 0; i < 4; i++) await (await app.request('/echo', {}, local)).arrayBuffer();
    await (await app.request('/status?code=503', {}, local)).arrayBuffer();
    const res = await app.request('/api/metrics', {}, local);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const families = await parsePrometheus(await res.text());
    const byName = new Map(families.map((f) => [f.name, f]));
    const sample = (family: string, name: string, labels: Record<string, string>) =>
      byName.get(family)!.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value ?? NaN;
    assert.equal(byName.get('switchyard_requests')!.type, 'counter');
    const ok = (server: string, code: string) => sample('switchyard_requests', 'switchyard_requests_total', { server, code });
    assert.equal(ok(a.id, '2xx') + ok(b.id, '2xx'), 4);
    assert.equal(ok(a.id, '5xx') + ok(b.id, '5xx'), 1);
    assert.equal(byName.get('switchyard_request_duration_seconds')!.type, 'histogram');
    const count = sample('switchyard_request_duration_seconds', 'switchyard_request_duration_seconds_count', { server: a.id });
    assert.equal(count, ok(a.id, '2xx') + ok(a.id, '5xx'));
    const inf = sample('switchyard_request_duration_seconds', 'switchyard_request_duration_seconds_bucket', { server: a.id, le: '+Inf' });
    assert.equal(inf, count);
    for (const name of ['switchyard_in_flight_requests', 'switchyard_up', 'switchyard_circuit_state', 'switchyard_health_transitions', 'switchyard_retries']) {
      assert.ok(byName.has(name), `missing ${name}`);
    }
    // The 503 (round robin's fifth request, on A) ejected A: passive health is on by default.
    assert.deepEqual([sample('switchyard_up', 'switchyard_up', { server: a.id }), sample('switchyard_up', 'switchyard_up', { server: b.id })], [0, 1]);
    await assert.rejects(parsePrometheus('switchyard_up{server="x" 1\n'), /prometheus parser/, 'the parser rejects malformed text');
  });

  it('GET /api/metrics counts sticky sessions per server when they are on', { skip: PROMETHEUS_MISSING }, async () => {
    const metrics = async (app: ReturnType<typeof make>) => parsePrometheus(await (await app.request('/api/metrics', {}, local)).text());
    assert.ok(!(await metrics(make(testConfig([a.url])))).some((f) => f.name === 'switchyard_sticky_sessions'), 'absent when off');
    const app = make(testConfig([a.url, b.url], { sticky: { cookie: 'SY', ttlMs: 60_000, secure: false, sameSite: 'Lax' } }));
    for (let i = 0; i < 3; i++) await (await app.request('/echo', {}, local)).arrayBuffer();
    const family = (await metrics(app)).find((f) => f.name === 'switchyard_sticky_sessions')!;
    assert.equal(family.type, 'gauge');
    assert.equal(family.samples.reduce((n, x) => n + x.value, 0), 3, 'three cookie-less clients, three sessions');
  });

  it('writes one JSON access-log line per request, or Apache combined', async () => {
    const lines: string[] = [];
    const app = make(testConfig([a.url], { accessLog: 'json' }), lines);
    await (await app.request('http://lb/echo?q=1', { headers: { 'user-agent': 'probe/1' } }, { clientIp: '192.0.2.7' })).arrayBuffer();
    const entry = JSON.parse(lines.at(-1)!);
    assert.deepEqual(
      { ...entry, time: typeof entry.time, duration_ms: typeof entry.duration_ms, bytes: entry.bytes > 0 },
      { time: 'string', client: '192.0.2.7', method: 'GET', path: '/echo?q=1', status: 200, server: a.id, attempts: 1, duration_ms: 'number', bytes: true },
    );
    const combined: string[] = [];
    const app2 = make(testConfig([a.url], { accessLog: 'combined' }), combined);
    await (await app2.request('http://lb/echo', { headers: { 'user-agent': 'probe/1' } }, { clientIp: '192.0.2.7' })).arrayBuffer();
    assert.match(combined.at(-1)!, /^192\.0\.2\.7 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/echo HTTP\/1\.1" 200 \d+ "-" "probe\/1"$/);
    const none: string[] = [];
    await (await make(testConfig([a.url], { accessLog: 'off' }), none).request('/echo', {}, local)).arrayBuffer();
    assert.equal(none.length, 0);
  });

  it('answers CORS preflights for configured origins only', async () => {
    const app = make(testConfig([a.url], { corsOrigins: ['https://ops.example.com'] }));
    const pre = await app.request('/api/servers', { method: 'OPTIONS', headers: { origin: 'https://ops.example.com', 'access-control-request-method': 'POST' } }, local);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'https://ops.example.com');
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /POST/);
    const other = await app.request('/api/stats', { headers: { origin: 'https://evil.example' } }, local);
    assert.notEqual(other.headers.get('access-control-allow-origin'), 'https://evil.example');
    const off = await make(testConfig([a.url])).request('/api/stats', { headers: { origin: 'https://ops.example.com' } }, local);
    assert.equal(off.headers.get('access-control-allow-origin'), null);
  });

  it('GET /api/openapi.json documents every route, with bodies from the validating schemas', async () => {
    const app = make(testConfig([a.url], { admin: { prefix: '/_lb', allowedHosts: [] } }));
    const doc = (await (await app.request('/_lb/openapi.json', {}, local)).json()) as any;
    assert.equal(doc.openapi, '3.1.0');
    for (const path of ['/_lb/stats', '/_lb/metrics', '/_lb/health', '/_lb/servers', '/_lb/servers/{id}', '/_lb/health-check']) assert.ok(doc.paths[path], path);
    const port = doc.components.schemas.NewServer.anyOf[0].properties.port;
    assert.deepEqual([port.type, port.minimum, port.maximum], ['integer', 1, 65535]);
    assert.equal(doc.components.schemas.NewServer.anyOf[1].additionalProperties, false);
    const page = await app.request('/_lb/docs', {}, local);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const html = await page.text();
    assert.match(html, /<code>\/_lb\/servers\/\{id\}<\/code>/);
    assert.doesNotMatch(html, /<script|https?:\/\/cdn/i, 'renders offline');
  });
});
