/** The benchmark's pure parts: reading wrk's output, medians and the ratios the table shows. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseProxyArgs, pathOf } from '../floors/args.ts';
import { parseWrk } from './load.ts';
import { median, rows, table, type Window } from './report.ts';

const WRK = `Running 10s test @ http://127.0.0.1:8080/small
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.61ms  406.78us  12.01ms   91.24%
    Req/Sec    31.02k     1.20k   33.10k    73.00%
  Latency Distribution
     50%  850.00us
     75%    1.61ms
     90%    1.88ms
     99%    1.02s
  308694 requests in 10.00s, 61.24MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 4
Requests/sec:  30866.52
Transfer/sec:      6.12MB
`;

describe('parseWrk', () => {
  it('reads requests, seconds, p50/p99 in ms and every kind of error', () => {
    const r = parseWrk(WRK);
    assert.deepEqual([r.requests, r.seconds, r.p50Ms, r.p99Ms, r.errors], [308694, 10, 0.85, 1020, 9]);
    assert.equal(Math.round(r.rps), 30869);
  });
  it('names what is missing', () => {
    assert.throws(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused'), /the request count/);
    assert.throws(() => parseWrk('10 requests in 1.00s'), /latency distribution/);
  });
});

const w = (rps: number, p99Ms = 1, cpu = 10, rss = 2 ** 20): Window => ({ requests: rps, seconds: 1, rps, p50Ms: 0.5, p99Ms, errors: 0, cpuUsPerRequest: cpu, peakRssBytes: rss });

describe('rows', () => {
  it('takes medians per metric, the peak RSS, and ratios to the same runtime floor and to nginx on the same body', () => {
    const out = rows([
      { id: 'nginx', label: 'nginx', runtime: 'nginx', floor: false, body: 'small', rounds: [w(400), w(500), w(600)] },
      { id: 'bun-floor', label: 'floor', runtime: 'bun', floor: true, body: 'small', rounds: [w(200), w(250), w(300)] },
      { id: 'switchyard-bun', label: 'sy', runtime: 'bun', floor: false, body: 'small', rounds: [w(100, 9), w(300, 1), w(200, 5, 20, 3 * 2 ** 20)] },
      { id: 'switchyard-bun', label: 'sy', runtime: 'bun', floor: false, body: 'large', rounds: [w(100)] },
      { id: 'switchyard-deno', label: 'sd', runtime: 'deno', floor: false, body: 'small', rounds: [w(50)] },
    ]);
    const sy = out[2];
    assert.deepEqual([sy.rps, sy.p99Ms, sy.cpuUsPerRequest, sy.peakRssMb, sy.xFloor, sy.xNginx], [200, 5, 10, 3, 0.8, 0.4]);
    assert.deepEqual([out[3].xFloor, out[3].xNginx], [undefined, undefined], 'no floor or nginx measured on that body');
    assert.equal(out[4].xFloor, undefined, 'no Deno floor in this run');
    assert.match(table(out), /\| \*\*sy\*\* +\| small +\| +200 \| +0\.80 \| +0\.40 \|/);
  });
  it('median of an even count is the mean of the middle two', () => assert.equal(median([4, 1, 3, 2]), 2.5));
});

describe('floor arguments', () => {
  const env = (vars: Record<string, string>) => (n: string) => vars[n];
  it('takes flags, else env, and keeps only origins', () => {
    assert.deepEqual(parseProxyArgs(['--port', '8081', '--backend', 'http://127.0.0.1:9001/x'], env({})), { port: 8081, backends: ['http://127.0.0.1:9001'] });
    assert.deepEqual(parseProxyArgs([], env({ PORT: '0', BACKENDS: 'http://a:1,http://b:2' })), { port: 0, backends: ['http://a:1', 'http://b:2'] });
  });
  for (const [argv, message] of [
    [['--port', '70000', '--backend', 'http://a:1'], /--port: "70000"/],
    [['--backend', 'nope'], /--backend: "nope" is not a URL/],
    [['--backend', 'https://a:1'], /not an http:\/\/ URL/],
    [['--bogus'], /unknown argument "--bogus"/],
    [['--port'], /--port needs a value/],
    [[], /no backends/],
  ] as const) {
    it(`refuses ${JSON.stringify(argv)}`, () => assert.throws(() => parseProxyArgs([...argv], env({})), message));
  }
  it('pathOf keeps path and query without parsing', () => {
    assert.equal(pathOf('http://127.0.0.1:8080/a/b?c=1'), '/a/b?c=1');
    assert.equal(pathOf('http://127.0.0.1:8080'), '/');
  });
});
