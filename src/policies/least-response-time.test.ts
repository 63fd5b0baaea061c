import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RuntimeTable } from '../core/records.ts';
import { runPolicyTests } from './contract.ts';
import { always, backends, ctx, FakeLoad, options, seeded } from './fixtures.ts';
import { leastResponseTime } from './least-response-time.ts';
import { STALE_AFTER_MS } from './peak-ewma.ts';

runPolicyTests('least_response_time', leastResponseTime, { varyBy: 'none', shareTolerance: 0.015 });

/** Each backend's share of `n` picks. */
function shares(weights: number[], load: FakeLoad | ((list: ReturnType<typeof backends>) => FakeLoad), n = 30_000): number[] {
  const list = backends(weights);
  const p = leastResponseTime(list, options({ load: typeof load === 'function' ? load(list) : load }));
  const counts = weights.map(() => 0);
  for (let i = 0; i < n; i++) counts[list.indexOf(p.pick(ctx(), always)!)]++;
  return counts.map((c) => c / n);
}

const near = (got: number[], want: number[], tol: number, what: string) =>
  assert.ok(got.every((s, i) => Math.abs(s - want[i]) <= tol), `${what}: ${got.map((s) => s.toFixed(3)).join(' / ')} vs ${want.map((s) => s.toFixed(3)).join(' / ')} (±${tol})`);

describe('least_response_time: weights count once', () => {
  // [name, weights, latency ms per backend (undefined: unknown), in flight per backend]
  const table: Array<[string, number[], Array<number | undefined>, number[]]> = [
    ['1:2:3, same latency, idle', [1, 2, 3], [10, 10, 10], [0, 0, 0]],
    ['1:2:3, same latency, in flight in proportion to weight', [1, 2, 3], [10, 10, 10], [2, 4, 6]],
    ['1:2:3, nothing measured yet', [1, 2, 3], [undefined, undefined, undefined], [0, 0, 0]],
    ['1:1:4, same latency, within the tie band of each other', [1, 1, 4], [10, 10.5, 9.8], [0, 0, 0]],
  ];
  for (const [name, weights, latencies, flights] of table) {
    it(`${name}: each backend its weight's share (±1.5 points over 30,000 picks)`, () => {
      const got = shares(weights, (list) => {
        const load = new FakeLoad();
        list.forEach((b, i) => {
          if (latencies[i] !== undefined) load.latencies.set(b.id, latencies[i]!);
          load.flights.set(b.id, flights[i]);
        });
        return load;
      });
      const total = weights.reduce((a, b) => a + b, 0);
      near(got, weights.map((w) => w / total), 0.015, name);
    });
  }
});

describe('least_response_time: cost is latency × (in flight per weight + 1)', () => {
  it('prefers the faster server; the slowest loses every pairing', () => {
    const load = new FakeLoad();
    const list = backends([1, 1, 1]);
    [5, 50, 200].forEach((ms, i) => load.latencies.set(list[i].id, ms));
    const got = shares([1, 1, 1], load, 3000);
    assert.ok(got[0] > got[1] && got[1] > got[2], got.join(','));
    assert.equal(got[2], 0, 'the slowest loses every pairing');
  });

  const table: Array<[string, number[], Array<[number | undefined, number, number]>, string]> = [
    // [latency, in flight, awaiting headers] per backend
    ['a fast but busy server loses to a slower idle one', [1, 1], [[10, 9, 0], [40, 0, 0]], 's2'],
    ['in flight counts per unit of weight: 4 in flight on weight 4 beats 2 on weight 1', [1, 4], [[10, 2, 0], [10, 4, 0]], 's2'],
    ['unknown while a request to it awaits its answer: loses to any measured server', [1, 1], [[undefined, 1, 1], [5000, 3, 0]], 's2'],
    ['unknown, streaming a body but awaiting no headers: not penalised (a tie, the first drawn wins)', [1, 1], [[undefined, 1, 0], [10, 0, 0]], 'either'],
  ];
  for (const [name, weights, figures, want] of table) {
    it(name, () => {
      const load = new FakeLoad();
      const list = backends(weights);
      figures.forEach(([ms, flights, waiting], i) => {
        if (ms !== undefined) load.latencies.set(list[i].id, ms);
        load.flights.set(list[i].id, flights);
        load.waiting.set(list[i].id, waiting);
      });
      const got = shares(weights, load, 2000);
      if (want === 'either') assert.ok(got.every((s) => s > 0.4), got.join(','));
      else assert.equal(got[list.findIndex((b) => b.name === want)], 1, got.join(','));
    });
  }
});

/**
 * A simulated run on an injected clock: Poisson arrivals at `ratePerS`, each
 * picked request served by its backend in `serviceMs` (its time to headers),
 * the latency recorded in a real RuntimeTable as attempt() records it.
 */
function simulate(weights: number[], ratePerS: number, durationMs: number, serviceMs: (backend: number, at: number, random: () => number) => number, seed = 1) {
  let now = 0;
  const table = new RuntimeTable(() => now);
  const list = backends(weights);
  table.sync(list.map((b) => ({ id: b.id, drained: false })));
  const random = seeded(seed);
  const policy = leastResponseTime(list, options({ load: table }, seed + 1));
  const due: Array<{ at: number; backend: number; sent: number }> = [];
  const picks: Array<{ at: number; backend: number }> = [];
  let arrival = 0;
  while (now < durationMs) {
    const next = due.reduce((m, e, i) => (m < 0 || e.at < due[m].at ? i : m), -1);
    if (next >= 0 && due[next].at <= arrival) {
      const [e] = due.splice(next, 1);
      now = e.at;
      const r = table.get(list[e.backend].id);
      r.awaiting--;
      r.inFlight--;
      r.sampleLatency(now - e.sent, now);
      continue;
    }
    now = arrival;
    arrival = now - (Math.log(1 - random()) * 1000) / ratePerS;
    const backend = list.indexOf(policy.pick(ctx(), always)!);
    picks.push({ at: now, backend });
    const r = table.get(list[backend].id);
    r.awaiting++;
    r.inFlight++;
    due.push({ at: now + serviceMs(backend, now, random), backend, sent: now });
  }
  const share = (from: number, to: number) => {
    const inside = picks.filter((p) => p.at >= from && p.at < to);
    return weights.map((_, i) => inside.filter((p) => p.backend === i).length / inside.length);
  };
  return { picks, share };
}

describe('least_response_time on a simulated clock: identical backends, 1:2:3', () => {
  // Identical backends answering in 10 ms ± 50 %; the tolerance is what P2C keeps at that concurrency.
  const table: Array<[string, number, number]> = [
    ['about 10 in flight (1,000 req/s): ±1.5 points', 1000, 0.015],
    ['about 3 in flight (300 req/s): ±3 points', 300, 0.03],
    ['under one in flight (10-100 req/s): ±6 points (an idle server beats a busy one)', 30, 0.06],
    ['one request at a time (0.5 req/s, every estimate stale): ±1.5 points', 0.5, 0.015],
  ];
  for (const [name, rate, tol] of table) {
    it(name, () => {
      const duration = (30_000 / rate) * 1000;
      const { share } = simulate([1, 2, 3], rate, duration, (_b, _at, random) => 10 * (0.5 + random()));
      near(share(0, duration), [1 / 6, 2 / 6, 3 / 6], tol, name);
    });
  }
});

describe('least_response_time on a simulated clock: a server slow once', () => {
  // Three like servers at 500 req/s; the third answers in 200 ms until FAST, then in 10 ms like the others.
  const FAST = 5_000;
  const run = simulate([1, 1, 1], 500, 20_000, (b, at, random) => (b === 2 && at < FAST ? 200 : 10 * (0.5 + random())), 3);
  const toSlow = run.picks.filter((p) => p.backend === 2);

  it('while slow it gets only a probe per stale period', () => {
    const probes = toSlow.filter((p) => p.at >= 1000 && p.at < FAST).length;
    assert.ok(probes <= Math.ceil((FAST - 1000) / STALE_AFTER_MS) + 1, `${probes} requests in ${FAST - 1000} ms while slow`);
  });

  it(`gets traffic again within ${STALE_AFTER_MS} ms + 500 ms of being fast again, and its full share after`, () => {
    const back = toSlow.find((p) => p.at >= FAST && toSlow.filter((q) => q.at >= p.at && q.at < p.at + 200).length >= 20);
    assert.ok(back, 'never got its traffic back');
    assert.ok(back.at - FAST <= STALE_AFTER_MS + 500, `back ${Math.round(back.at - FAST)} ms after it was fast`);
    near(run.share(FAST + STALE_AFTER_MS + 500, 20_000), [1 / 3, 1 / 3, 1 / 3], 0.05, 'after');
  });
});
