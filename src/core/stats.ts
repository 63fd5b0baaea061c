const SAMPLES = 1024;

/** Upper bounds (seconds) of the latency histogram buckets. */
export const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Counters for one backend, per isolate/process. */
export class ServerCounters {
  inFlight = 0;
  requests = 0;
  errors = 0;
  /** Responses by status class: index 1..5 for 1xx..5xx. */
  readonly statusClasses = new Float64Array(6);
  /** Latency histogram: count per bucket of LATENCY_BUCKETS_S (non-cumulative), plus +Inf last. */
  readonly buckets = new Float64Array(LATENCY_BUCKETS_S.length + 1);
  latencySumS = 0;
  /** Health/ejection/circuit transitions seen for this server. */
  transitions = 0;
  lastError: { at: number; message: string } | undefined;
  private samples = new Float64Array(SAMPLES);
  private count = 0;
  private sum = 0;

  /** Records a finished attempt's time to response headers. */
  observeLatency(ms: number): void {
    const sec = ms / 1000;
    let i = 0;
    while (i < LATENCY_BUCKETS_S.length && sec > LATENCY_BUCKETS_S[i]) i++;
    this.buckets[i]++;
    this.latencySumS += sec;
    this.samples[this.count % SAMPLES] = ms;
    this.count++;
    this.sum += ms;
  }

  /** Counts a response status from this server. */
  observeStatus(status: number): void {
    const k = Math.floor(status / 100);
    if (k >= 1 && k <= 5) this.statusClasses[k]++;
  }

  /** Samples observed so far. */
  get observed(): number {
    return this.count;
  }

  /** Mean over every sample; p50/p95/p99 over the last 1,024 (ms, 1 decimal). */
  latency(): { avg: number; p50: number; p95: number; p99: number } {
    const n = Math.min(this.count, SAMPLES);
    if (n === 0) return { avg: 0, p50: 0, p95: 0, p99: 0 };
    const sorted = this.samples.slice(0, n).sort();
    const at = (q: number) => round1(sorted[Math.min(n - 1, Math.ceil(q * n) - 1)]);
    return { avg: round1(this.sum / this.count), p50: at(0.5), p95: at(0.95), p99: at(0.99) };
  }
}

export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * Request counters plus a per-second ring for requests/s over the last 10 s:
 * a service's, each counted into the balancer-wide `parent` too.
 */
export class Totals {
  total = 0;
  successful = 0;
  failed = 0;
  /** Extra attempts made on other servers. */
  retries = 0;
  /** Answers the balancer made itself, by status (404, 502, 503, 504). */
  readonly generated = new Map<number, number>();
  /** Bodies compressed for the client, by encoding: how many, the bytes that went in and came out. */
  readonly compressed = new Map<string, { responses: number; bytesIn: number; bytesOut: number }>();
  private buckets = new Uint32Array(11);
  private bucketSecond = new Float64Array(11);
  private readonly parent: Totals | undefined;

  constructor(parent?: Totals) {
    this.parent = parent;
  }

  /** Counts a retry. */
  retried(): void {
    this.retries++;
    this.parent?.retried();
  }

  /** Counts an answer the balancer made itself. */
  answered(status: number): void {
    this.generated.set(status, (this.generated.get(status) ?? 0) + 1);
    this.parent?.answered(status);
  }

  /** Counts a compressed body once it has ended (or was cut short): `bytesIn` from the backend, `bytesOut` to the client. */
  compressedBody(encoding: string, bytesIn: number, bytesOut: number): void {
    const c = this.compressed.get(encoding) ?? { responses: 0, bytesIn: 0, bytesOut: 0 };
    c.responses++;
    c.bytesIn += bytesIn;
    c.bytesOut += bytesOut;
    this.compressed.set(encoding, c);
    this.parent?.compressedBody(encoding, bytesIn, bytesOut);
  }

  count(ok: boolean, now: number): void {
    this.parent?.count(ok, now);
    this.total++;
    if (ok) this.successful++;
    else this.failed++;
    const second = Math.floor(now / 1000);
    const i = second % 11;
    if (this.bucketSecond[i] !== second) {
      this.bucketSecond[i] = second;
      this.buckets[i] = 0;
    }
    this.buckets[i]++;
  }

  /** Mean requests per second over the 10 whole seconds before `now`. */
  perSecond(now: number): number {
    const current = Math.floor(now / 1000);
    let sum = 0;
    for (let i = 0; i < 11; i++) {
      const s = this.bucketSecond[i];
      if (s < current && s >= current - 10) sum += this.buckets[i];
    }
    return round1(sum / 10);
  }
}
