/**
 * Envoy's retry budget: over the last 10 s, retries may add at most
 * `percent` of the requests sent, but `minPerSecond` retries per second are
 * always allowed. Keeps a failing pool from a retry storm.
 */
export class RetryBudget {
  private readonly requests = new Float64Array(10);
  private readonly retries = new Float64Array(10);
  private readonly seconds = new Float64Array(10).fill(-1);
  private readonly percent: number;
  private readonly minPerSecond: number;

  constructor(percent: number, minPerSecond: number) {
    this.percent = percent;
    this.minPerSecond = minPerSecond;
  }

  private slot(now: number): number {
    const second = Math.floor(now / 1000);
    const i = second % 10;
    if (this.seconds[i] !== second) {
      this.seconds[i] = second;
      this.requests[i] = 0;
      this.retries[i] = 0;
    }
    return i;
  }

  private sum(arr: Float64Array, now: number): number {
    const second = Math.floor(now / 1000);
    let total = 0;
    for (let i = 0; i < 10; i++) if (second - this.seconds[i] < 10) total += arr[i];
    return total;
  }

  /** Counts a first attempt. */
  request(now: number): void {
    this.requests[this.slot(now)]++;
  }

  /** Whether one more retry fits the budget now: counted with the ones already made, it stays within it. */
  allows(now: number): boolean {
    const allowed = Math.max(this.minPerSecond * 10, (this.percent / 100) * this.sum(this.requests, now));
    return this.sum(this.retries, now) + 1 <= allowed;
  }

  /** Counts a retry made. */
  spend(now: number): void {
    this.retries[this.slot(now)]++;
  }
}
