import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ListenLimits } from '../config/types.ts';
import { ConnectionTable, overdue, sweepEveryMs, type TrackedConnection } from './limits.ts';

const limits: ListenLimits = { headerTimeoutMs: 1000, idleTimeoutMs: 5000, maxConnections: 3, maxBodyBytes: 0 };

describe('overdue', () => {
  const conn = (inFlight: number, served: boolean, since: number): TrackedConnection => ({ inFlight, served, since, close: () => {} });
  const table: Array<[string, TrackedConnection, number, boolean]> = [
    ['no head yet, within header_timeout', conn(0, false, 0), 999, false],
    ['no head yet, at header_timeout', conn(0, false, 0), 1000, true],
    ['idle after a response, past header_timeout but within idle_timeout', conn(0, true, 0), 4999, false],
    ['idle after a response, at idle_timeout', conn(0, true, 0), 5000, true],
    ['a request in flight, long past both', conn(1, true, 0), 60_000, false],
    ['a first request in flight, long past header_timeout', conn(1, false, 0), 60_000, false],
    ['idle since its last response, counted from then', conn(0, true, 10_000), 14_000, false],
  ];
  for (const [name, c, now, want] of table) it(`${name}: ${want}`, () => assert.equal(overdue(c, now, limits), want));
});

describe('sweepEveryMs', () => {
  const table: Array<[number, number, number]> = [
    [60_000, 75_000, 1000],
    [1000, 1000, 250],
    [100, 5000, 100],
    [200, 200, 100],
  ];
  for (const [header, idle, want] of table) {
    it(`header ${header} ms, idle ${idle} ms → every ${want} ms`, () => assert.equal(sweepEveryMs({ ...limits, headerTimeoutMs: header, idleTimeoutMs: idle }), want));
  }
});

describe('ConnectionTable', () => {
  it('takes connections up to max_connections, then refuses; a closed one makes room', () => {
    const t = new ConnectionTable(limits);
    const open = [t.add(0, () => {}), t.add(0, () => {}), t.add(0, () => {})];
    assert.ok(open.every((c) => c !== null));
    assert.equal(t.add(0, () => {}), null);
    t.remove(open[0]!);
    assert.notEqual(t.add(0, () => {}), null);
    assert.equal(t.size, 3);
  });

  it('closes, on each sweep, the connections overdue then and only those', () => {
    const t = new ConnectionTable(limits);
    const closed: string[] = [];
    const silent = t.add(0, () => closed.push('silent'))!;
    const busy = t.add(0, () => closed.push('busy'))!;
    const served = t.add(0, () => closed.push('served'))!;
    t.started(busy);
    t.started(served);
    t.finished(served, 500);
    assert.equal(t.sweep(999), 0);
    assert.equal(t.sweep(1000), 1);
    assert.deepEqual(closed, ['silent']);
    assert.equal(t.sweep(5499), 0, 'the served one idles from its response at 500 ms');
    assert.equal(t.sweep(5500), 1);
    assert.deepEqual(closed, ['silent', 'served']);
    assert.equal(t.sweep(1_000_000), 0, 'a request in flight is never timed out here');
    assert.equal(t.size, 1);
    assert.equal(silent.inFlight + served.inFlight, 0);
  });

  it('starts the idle time when the last of several requests in flight completes', () => {
    const t = new ConnectionTable(limits);
    const c = t.add(0, () => {})!;
    t.started(c);
    t.started(c);
    t.finished(c, 100);
    assert.equal(c.served, false);
    assert.equal(t.sweep(10_000), 0, 'one still in flight');
    t.finished(c, 10_000);
    assert.equal(c.since, 10_000);
    assert.equal(t.sweep(14_999), 0);
    assert.equal(t.sweep(15_000), 1);
  });
});
