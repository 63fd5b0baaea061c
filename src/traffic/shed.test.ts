import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PoolSettings } from '../config/types.ts';
import type { Pool } from '../core/pool.ts';
import type { RequestDone } from '../core/respond.ts';
import { Totals } from '../core/stats.ts';
import { ClassMeter, SHARE_DECAY_MS, ShedGate, shedProbabilities, shedRetryAfterS, type ShedTarget } from './shed.ts';

const near = (a: readonly number[], b: readonly number[], what: string) => a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) < 1e-9, `${what}: [${a}] is not [${b}]`));

describe('shedProbabilities: the lowest class first', () => {
  const table: Array<[string, number, number[], number[]]> = [
    ['nothing to shed', 0, [30, 70, 0], [0, 0, 0]],
    ['a negative percent sheds nothing', -5, [30, 70, 0], [0, 0, 0]],
    ['everything', 100, [30, 70, 10], [1, 1, 1]],
    ['50% with 30% low priority: all of it, then 2/7 of the rest', 50, [30, 70, 0], [1, 2 / 7, 0]],
    ['the same in fractions', 50, [0.3, 0.7, 0], [1, 2 / 7, 0]],
    ['exactly the low share', 30, [30, 70, 0], [1, 0, 0]],
    ['less than the low share', 15, [30, 70, 0], [0.5, 0, 0]],
    ['no low priority: from requests without a session', 50, [0, 100, 0], [1, 0.5, 0]],
    ['the no-session share covers it: sessions untouched', 50, [0, 60, 40], [1, 50 / 60, 0]],
    ['the no-session share is all shed, then sessions', 50, [0, 20, 80], [1, 1, 0.375]],
    ['every class in play', 20, [10, 60, 30], [1, 1 / 6, 0]],
    ['only sessions measured', 25, [0, 0, 10], [1, 1, 0.25]],
    ['a class with no traffic above the cut is not shed', 10, [20, 0, 80], [0.5, 0, 0]],
    ['no traffic measured yet: the percent for every class', 40, [0, 0, 0], [0.4, 0.4, 0.4]],
  ];
  for (const [name, percent, shares, want] of table) it(name, () => near(shedProbabilities(percent, shares), want, name));

  it('sheds the percent of all traffic, at most one class in part (sampled)', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 500; i++) {
      const shares = [rnd() * 10, rnd() * 10, rnd() * 10];
      const percent = rnd() * 100;
      const p = shedProbabilities(percent, shares);
      const total = shares[0] + shares[1] + shares[2];
      const shed = p.reduce((sum, x, c) => sum + x * shares[c], 0) / total;
      assert.ok(Math.abs(shed - percent / 100) < 1e-9, `${percent}% of [${shares}] sheds ${shed}`);
      assert.ok(p[0] >= p[1] && p[1] >= p[2], `lower classes first: [${p}]`);
      assert.ok(p.filter((x) => x > 0 && x < 1).length <= 1, `one class in part: [${p}]`);
    }
  });
});

describe('shedRetryAfterS', () => {
  for (const [percent, s] of [[0.5, 1], [10, 1], [10.1, 2], [50, 5], [99, 10], [100, 10]]) {
    it(`${percent}% → ${s} s`, () => assert.equal(shedRetryAfterS(percent), s));
  }
});

describe('ClassMeter', () => {
  it('counts decay by e every SHARE_DECAY_MS; time is given', () => {
    const m = new ClassMeter();
    for (let i = 0; i < 3; i++) m.observe(1, 1000);
    near(m.observe(0, 1000 + SHARE_DECAY_MS), [1, 3 / Math.E, 0], 'one decay step');
    near(m.shares(1000 + 2 * SHARE_DECAY_MS), [1 / Math.E, 3 / Math.E ** 2, 0], 'read later');
  });

  it('a clock that goes back does not grow the counts', () => {
    const m = new ClassMeter();
    m.observe(2, 5000);
    near(m.observe(2, 4000), [0, 0, 2], 'no decay backwards');
  });

  it('forgets an old mix: a minute later the new traffic is nearly all of it', () => {
    const m = new ClassMeter();
    for (let i = 0; i < 100; i++) m.observe(0, 0);
    const s = m.observe(2, 60_000);
    assert.ok(s[0] / (s[0] + s[2]) < 0.3, `old low-priority share ${s[0]}`);
  });
});

/** A service as the gate sees it: no sticky sessions, priority by `x-priority: batch`. */
function target(shedPercent: number): ShedTarget {
  return {
    name: 'api',
    settings: { shedPercent, priority: { header: 'x-priority', low: ['batch'] }, sticky: null } as unknown as PoolSettings,
    pool: { backends: [], byId: new Map(), pick: () => undefined } as Pool,
    totals: new Totals(),
    stickyTokens: () => undefined,
  };
}

describe('ShedGate', () => {
  const req = (low = false) => new Request('http://lb/orders?x=1', low ? { headers: { 'x-priority': 'batch' } } : {});
  const info = { clientIp: '192.0.2.1' };

  it('at 0% lets everything through and measures nothing', () => {
    const gate = new ShedGate(target(0), { random: () => 0 });
    for (let i = 0; i < 10; i++) assert.equal(gate.admit(req(), info, 1000).refused, undefined);
    assert.deepEqual(gate.shares(1000), { low_priority: 0, no_session: 0, session: 0 });
    assert.equal(gate.refused, 0);
  });

  it('the run-time override wins over the settings, and says so', () => {
    let override: number | undefined = 40;
    const gate = new ShedGate(target(10), { random: () => 0, shedOverride: (s) => (s === 'api' ? override : undefined) });
    assert.deepEqual([gate.percent(), gate.source()], [40, 'api']);
    override = 0;
    assert.deepEqual([gate.percent(), gate.source()], [0, 'api'], 'an override of 0 turns configured shedding off');
    assert.equal(gate.admit(req(), info, 0).refused, undefined);
    override = undefined;
    assert.deepEqual([gate.percent(), gate.source()], [10, 'config']);
  });

  it('draws against the class probability: 50% with 30% low priority sheds every low one, 2/7 of the rest', () => {
    let r = 0;
    const gate = new ShedGate(target(50), { random: () => r });
    const t = 1000;
    // 3 low, 7 normal at once: the meter holds the whole mix before the draws below.
    for (let i = 0; i < 3; i++) gate.admit(req(true), info, t);
    for (let i = 0; i < 7; i++) gate.admit(req(), info, t);
    const before = gate.refused;
    r = 0.99;
    assert.ok(gate.admit(req(true), info, t).refused, 'low priority: probability 1, whatever the draw');
    r = 0.3;
    assert.equal(gate.admit(req(), info, t).refused, undefined, 'normal now at p = 1/4 (4 low of 12, the rest from 8 normal): a draw of 0.3 passes');
    r = 0.2;
    assert.ok(gate.admit(req(), info, t).refused, 'a draw of 0.2 is shed');
    assert.equal(gate.refused, before + 2);
  });

  it('refuses with 503 problem+json and Retry-After, counted in the totals and the access log', async () => {
    const lines: RequestDone[] = [];
    const tg = target(100);
    const gate = new ShedGate(tg, { random: () => 0.5, onDone: (e) => lines.push(e) });
    const a = gate.admit(req(), info, 5000);
    assert.ok(a.refused);
    const res = a.refused;
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    assert.equal(res.headers.get('retry-after'), '10');
    assert.deepEqual(await res.json(), {
      type: 'urn:switchyard:problem:shedding-load',
      title: 'Shedding load',
      status: 503,
      detail: 'Service api is shedding 100% of its load; try again in 10 s.',
      service: 'api',
      shed_percent: 100,
      instance: '/orders',
    });
    assert.deepEqual([tg.totals.total, tg.totals.failed, tg.totals.generated.get(503)], [1, 1, 1]);
    assert.equal(lines.length, 1);
    assert.deepEqual({ ...lines[0], request: undefined }, { request: undefined, clientIp: '192.0.2.1', service: 'api', status: 503, server: null, attempts: 0, startedAt: 5000, durationMs: 0, bytes: Number(res.headers.get('content-length')) });
    assert.equal(gate.refused, 1);
  });
});
