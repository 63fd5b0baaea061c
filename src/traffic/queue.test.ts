import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WaitQueue, type Offer, type Timers, type WaitResult } from './queue.ts';

/** A clock and timers that move only when told. */
function fakeTime() {
  let now = 0;
  let seq = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    set(fn, ms) {
      const id = ++seq;
      due.set(id, { at: now + ms, fn });
      return id;
    },
    clear(h) {
      due.delete(h as number);
    },
  };
  return {
    timers,
    now: () => now,
    pending: () => due.size,
    advance(ms: number) {
      now += ms;
      for (const [id, t] of [...due].sort((a, b) => a[1].at - b[1].at)) {
        if (t.at <= now) {
          due.delete(id);
          t.fn();
        }
      }
    },
  };
}

/** `places` free places; a waiter takes one when any is free. */
function slots(places: number) {
  const s = {
    free: places,
    offer: (name: string): (() => Offer<string>) => () => {
      if (s.free <= 0) return 'wait';
      s.free--;
      return { took: name };
    },
    hasRoom: () => s.free > 0,
  };
  return s;
}

const limits = { maxQueue: 10, timeoutMs: 1000 };
const settle = () => new Promise((r) => setImmediate(r));

/** Records the order results arrive in. */
function collect() {
  const got: Array<[string, WaitResult<string>]> = [];
  return { got, on: (name: string) => (r: WaitResult<string>) => got.push([name, r]) };
}

describe('WaitQueue', () => {
  it('hands freed places out first in, first out', async () => {
    const t = fakeTime();
    const q = new WaitQueue<string>(t);
    const s = slots(0);
    const c = collect();
    for (const n of ['a', 'b', 'c']) void q.wait(s.offer(n), { low: false, limits }).then(c.on(n));
    assert.equal(q.length, 3);
    for (let i = 0; i < 3; i++) {
      t.advance(10);
      s.free++;
      q.wake(s.hasRoom);
    }
    await settle();
    assert.deepEqual(c.got.map(([n, r]) => [n, r.kind, r.kind === 'granted' && r.value]), [
      ['a', 'granted', 'a'],
      ['b', 'granted', 'b'],
      ['c', 'granted', 'c'],
    ]);
    assert.deepEqual(c.got.map(([, r]) => (r as { waitedMs: number }).waitedMs), [10, 20, 30]);
    assert.equal(q.length, 0);
    assert.equal(t.pending(), 0, 'timeouts of granted waiters are cleared');
  });

  it('serves the low-priority lane only when no other request waits', async () => {
    const t = fakeTime();
    const q = new WaitQueue<string>(t);
    const s = slots(0);
    const c = collect();
    void q.wait(s.offer('low1'), { low: true, limits }).then(c.on('low1'));
    void q.wait(s.offer('high1'), { low: false, limits }).then(c.on('high1'));
    void q.wait(s.offer('low2'), { low: true, limits }).then(c.on('low2'));
    void q.wait(s.offer('high2'), { low: false, limits }).then(c.on('high2'));
    assert.equal(q.stats().waitingLow, 2);
    s.free = 3;
    q.wake(s.hasRoom);
    await settle();
    assert.deepEqual(c.got.map(([n]) => n), ['high1', 'high2', 'low1']);
    assert.equal(q.stats().waitingLow, 1);
  });

  it('refuses at once when max_queue requests wait (both lanes count), and max_queue 0 queues none', async () => {
    const t = fakeTime();
    const q = new WaitQueue<string>(t);
    const s = slots(0);
    void q.wait(s.offer('a'), { low: false, limits: { maxQueue: 2, timeoutMs: 1000 } });
    void q.wait(s.offer('b'), { low: true, limits: { maxQueue: 2, timeoutMs: 1000 } });
    assert.deepEqual(await q.wait(s.offer('c'), { low: false, limits: { maxQueue: 2, timeoutMs: 1000 } }), { kind: 'full', maxQueue: 2 });
    const empty = new WaitQueue<string>(t);
    assert.deepEqual(await empty.wait(s.offer('d'), { low: false, limits: { maxQueue: 0, timeoutMs: 1000 } }), { kind: 'full', maxQueue: 0 });
    assert.equal(q.stats().refusedFull, 1);
    assert.equal(q.stats().queuedTotal, 2);
    assert.equal(q.length, 2);
  });

  it('times a waiter out after timeout_ms, and it leaves the queue', async () => {
    const t = fakeTime();
    const q = new WaitQueue<string>(t);
    const s = slots(0);
    const c = collect();
    void q.wait(s.offer('a'), { low: false, limits: { maxQueue: 10, timeoutMs: 200 } }).then(c.on('a'));
    t.advance(100);
    void q.wait(s.offer('b'), { low: false, limits: { maxQueue: 10, timeoutMs: 200 } }).then(c.on('b'));
    t.advance(100);
    await settle();
    assert.deepEqual(c.got, [['a', { kind: 'timeout', timeoutMs: 200, waitedMs: 200 }]]);
    assert.equal(q.length, 1);
    s.free = 1;
    q.wake(s.hasRoom);
    await settle();
    assert.deepEqual(c.got[1], ['b', { kind: 'granted', value: 'b', waitedMs: 100 }]);
    t.advance(1000);
    await settle();
    assert.equal(c.got.length, 2, 'a granted waiter never also times out');
    const st = q.stats();
    assert.deepEqual([st.timedOut, st.waitCount, st.waitMsAvg, st.waitMsMax, st.waitSecondsSum], [1, 2, 150, 200, 0.3]);
  });

  it('lets a waiter whose signal aborts leave, and refuses one already aborted', async () => {
    const t = fakeTime();
    const q = new WaitQueue<string>(t);
    const s = slots(0);
    const c = collect();
    const ac = new AbortController();
    void q.wait(s.offer('a'), { low: false, signal: ac.signal, limits }).then(c.on('a'));
    void q.wait(s.offer('b'), { low: false, limits }).then(c.on('b'));
    t.advance(5);
    ac.abort();
    await settle();
    assert.deepEqual(c.got, [['a', { kind: 'aborted', waitedMs: 5 }]]);
    assert.equal(q.length, 1);
    s.free = 1;
    q.wake(s.hasRoom);
    await settle();
    assert.equal(c.got[1][0], 'b', 'the place goes to the next waiter');
    assert.equal(s.free, 0);
    const gone = AbortSignal.abort();
    assert.deepEqual(await q.wait(s.offer('c'), { low: false, signal: gone, limits }), { kind: 'aborted', waitedMs: 0 });
    assert.equal(q.stats().aborted, 2);
    assert.equal(t.pending(), 0);
  });

  it('offers a place past a waiter that cannot use it, and stops once no place is left', async () => {
    const t = fakeTime();
    const q = new WaitQueue<string>(t);
    const s = slots(0);
    const c = collect();
    let offeredToC = 0;
    void q.wait(() => 'wait', { low: false, limits }).then(c.on('picky'));
    void q.wait(s.offer('b'), { low: false, limits }).then(c.on('b'));
    void q.wait(() => (offeredToC++, s.offer('c')()), { low: false, limits }).then(c.on('c'));
    s.free = 1;
    q.wake(s.hasRoom);
    await settle();
    assert.deepEqual(c.got.map(([n]) => n), ['b']);
    assert.equal(offeredToC, 0, 'no offer once the one free place is taken');
    q.wake(s.hasRoom);
    assert.equal(offeredToC, 0, 'with no place free, only the head is asked');
    assert.equal(q.length, 2);
  });

  it('lets a waiter with nothing left to wait for leave, and goes on down the queue', async () => {
    const t = fakeTime();
    const q = new WaitQueue<string>(t);
    const c = collect();
    void q.wait(() => 'leave', { low: false, limits }).then(c.on('a'));
    void q.wait(() => 'leave', { low: true, limits }).then(c.on('b'));
    q.wake(() => false);
    await settle();
    assert.deepEqual(
      c.got.map(([n, r]) => [n, r.kind]),
      [
        ['a', 'left'],
        ['b', 'left'],
      ],
    );
    assert.equal(q.length, 0);
  });

  it('a newcomer that wakes the queue before taking a place never overtakes a waiter', async () => {
    const t = fakeTime();
    const q = new WaitQueue<string>(t);
    const s = slots(0);
    const c = collect();
    void q.wait(s.offer('waiter'), { low: true, limits }).then(c.on('waiter'));
    s.free = 1; // freed without a wake (a server came back)
    q.wake(s.hasRoom); // the newcomer's first step
    const newcomerGot = s.free > 0;
    await settle();
    assert.equal(newcomerGot, false);
    assert.deepEqual(c.got.map(([n]) => n), ['waiter']);
  });

  it('a wake from inside an offer runs after the current one, not inside it', async () => {
    const t = fakeTime();
    const q = new WaitQueue<string>(t);
    const s = slots(0);
    const c = collect();
    void q.wait(
      () => {
        q.wake(s.hasRoom);
        return s.offer('a')();
      },
      { low: false, limits },
    ).then(c.on('a'));
    void q.wait(s.offer('b'), { low: false, limits }).then(c.on('b'));
    s.free = 2;
    q.wake(() => false);
    await settle();
    assert.deepEqual(c.got.map(([n]) => n), ['a', 'b']);
  });
});
