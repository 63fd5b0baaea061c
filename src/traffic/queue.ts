/**
 * The queue of a service's requests that found every server they could use
 * at its `max_conns` (HAProxy's server queue, `maxqueue`, `timeout queue`).
 * A data structure and the waiting, nothing else: what a place is, and when
 * one may have freed, is the caller's to say.
 */

/** What a waiting request answers when offered a place: it took one, it keeps waiting, or it can no longer be served here and leaves. */
export type Offer<T> = { took: T } | 'wait' | 'leave';

/** How one wait ended. */
export type WaitResult<T> =
  /** A place was taken (`value`, the offer's) after `waitedMs`. */
  | { kind: 'granted'; value: T; waitedMs: number }
  /** The queue held `maxQueue` requests already: refused at once. */
  | { kind: 'full'; maxQueue: number }
  /** No place within `timeoutMs`. */
  | { kind: 'timeout'; timeoutMs: number; waitedMs: number }
  /** The request's signal aborted (the client went away) while it waited. */
  | { kind: 'aborted'; waitedMs: number }
  /** Its offer said `leave`: nothing it could wait for is left. */
  | { kind: 'left'; waitedMs: number };

export interface QueueLimits {
  /** Requests the queue holds at most, both lanes together (0: none wait). */
  maxQueue: number;
  /** Longest a request waits. */
  timeoutMs: number;
}

/** The queue's figures since it was made (milliseconds rounded to 0.1). */
export interface QueueStats {
  length: number;
  /** Of `length`, the low-priority lane's. */
  waitingLow: number;
  /** Requests that entered the queue. */
  queuedTotal: number;
  timedOut: number;
  refusedFull: number;
  aborted: number;
  /** Over every request that has left the queue, however it left. */
  waitMsAvg: number;
  waitMsMax: number;
  /** Sum of those waits, in seconds (for a metrics summary). */
  waitSecondsSum: number;
  /** Requests that have left the queue. */
  waitCount: number;
}

/** The timer the queue's timeouts use (injected in tests). */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

interface Entry<T> {
  offer: () => Offer<T>;
  settle: (r: WaitResult<T>) => void;
  enqueuedAt: number;
  timer: unknown;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** Its lane while it waits; undefined once it has left. */
  lane: Lane<T> | undefined;
  prev: Entry<T> | undefined;
  next: Entry<T> | undefined;
}

/** One FIFO lane: a doubly linked list, so a request that leaves from the middle costs O(1). */
class Lane<T> {
  head: Entry<T> | undefined;
  tail: Entry<T> | undefined;
  size = 0;

  push(e: Entry<T>): void {
    e.prev = this.tail;
    e.next = undefined;
    if (this.tail) this.tail.next = e;
    else this.head = e;
    this.tail = e;
    this.size++;
  }

  remove(e: Entry<T>): void {
    if (e.prev) e.prev.next = e.next;
    else this.head = e.next;
    if (e.next) e.next.prev = e.prev;
    else this.tail = e.prev;
    e.prev = e.next = undefined;
    this.size--;
  }
}

/**
 * A bounded FIFO of waiting requests in two lanes: low priority behind the
 * rest. A request `wait`s with an offer; each `wake` (a place may have freed)
 * offers places in queue order, so a request already waiting is offered
 * before any behind it, and before any newcomer that wakes the queue first.
 */
export class WaitQueue<T> {
  private readonly high = new Lane<T>();
  private readonly low = new Lane<T>();
  private readonly now: () => number;
  private readonly timers: Timers;
  private waking = false;
  private again = false;
  private queuedTotal = 0;
  private timedOut = 0;
  private refusedFull = 0;
  private aborted = 0;
  private waitCount = 0;
  private waitMsSum = 0;
  private waitMsMax = 0;

  constructor(options: { now: () => number; timers?: Timers }) {
    this.now = options.now;
    this.timers = options.timers ?? realTimers;
  }

  /** Requests waiting, both lanes. */
  get length(): number {
    return this.high.size + this.low.size;
  }

  /**
   * Waits for a place: `offer` is called on each `wake` while the request is
   * in the queue (synchronously: what it takes is taken then). Refused at once
   * (`full`) when `maxQueue` wait already; `aborted` at once when `signal`
   * already is. Never rejects.
   */
  wait(offer: () => Offer<T>, options: { low: boolean; signal?: AbortSignal; limits: QueueLimits }): Promise<WaitResult<T>> {
    const { limits, signal } = options;
    if (this.length >= limits.maxQueue) {
      this.refusedFull++;
      return Promise.resolve({ kind: 'full', maxQueue: limits.maxQueue });
    }
    if (signal?.aborted) {
      this.aborted++;
      return Promise.resolve({ kind: 'aborted', waitedMs: 0 });
    }
    return new Promise((resolve) => {
      const lane = options.low ? this.low : this.high;
      const e: Entry<T> = { offer, settle: resolve, enqueuedAt: this.now(), timer: undefined, signal, onAbort: undefined, lane, prev: undefined, next: undefined };
      e.timer = this.timers.set(() => {
        this.timedOut++;
        this.leave(e, (waitedMs) => ({ kind: 'timeout', timeoutMs: limits.timeoutMs, waitedMs }));
      }, limits.timeoutMs);
      if (signal) {
        e.onAbort = () => {
          this.aborted++;
          this.leave(e, (waitedMs) => ({ kind: 'aborted', waitedMs }));
        };
        signal.addEventListener('abort', e.onAbort, { once: true });
      }
      lane.push(e);
      this.queuedTotal++;
    });
  }

  /**
   * A place may have freed: offers it in queue order (the rest's lane, then
   * the low lane). A request that takes a place or leaves goes; past one that
   * keeps waiting, the offers go on only while `hasRoom()` says a place is
   * still free (one some waiter further back may be able to use).
   */
  wake(hasRoom: () => boolean): void {
    if (this.waking) {
      this.again = true;
      return;
    }
    this.waking = true;
    try {
      do {
        this.again = false;
        this.offerAll(hasRoom);
      } while (this.again);
    } finally {
      this.waking = false;
    }
  }

  private offerAll(hasRoom: () => boolean): void {
    for (const lane of [this.high, this.low]) {
      let e = lane.head;
      while (e) {
        const next = e.next;
        const o = e.offer();
        if (o === 'leave') this.leave(e, (waitedMs) => ({ kind: 'left', waitedMs }));
        else if (o !== 'wait') {
          const value = o.took;
          this.leave(e, (waitedMs) => ({ kind: 'granted', value, waitedMs }));
          if (!hasRoom()) return;
        } else if (!hasRoom()) return;
        e = next;
      }
    }
  }

  private leave(e: Entry<T>, result: (waitedMs: number) => WaitResult<T>): void {
    if (!e.lane) return;
    e.lane.remove(e);
    e.lane = undefined;
    this.timers.clear(e.timer);
    if (e.signal && e.onAbort) e.signal.removeEventListener('abort', e.onAbort);
    const waitedMs = Math.max(0, this.now() - e.enqueuedAt);
    this.waitCount++;
    this.waitMsSum += waitedMs;
    if (waitedMs > this.waitMsMax) this.waitMsMax = waitedMs;
    e.settle(result(waitedMs));
  }

  stats(): QueueStats {
    const r1 = (x: number) => Math.round(x * 10) / 10;
    return {
      length: this.length,
      waitingLow: this.low.size,
      queuedTotal: this.queuedTotal,
      timedOut: this.timedOut,
      refusedFull: this.refusedFull,
      aborted: this.aborted,
      waitMsAvg: this.waitCount ? r1(this.waitMsSum / this.waitCount) : 0,
      waitMsMax: r1(this.waitMsMax),
      waitSecondsSum: this.waitMsSum / 1000,
      waitCount: this.waitCount,
    };
  }
}
