/**
 * A 1 GiB download and a 1 GiB upload through `npm start` pass whole, while
 * the balancer's resident memory stays bounded (sampled from /proc).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startBackend, type TestBackend } from './fixtures/backends.ts';
import { bytesStream, countBytes } from './fixtures/streams.ts';
import { startEntry, writeConfig, type Running } from './conformance/harness.ts';

const GiB = 1024 * 1024 * 1024;
/** Far below the body size: the bodies must stream, not gather. */
const RSS_LIMIT = 320 * 1024 * 1024;
const skip = existsSync('/proc/self/status') ? false : 'resident memory is read from /proc, which this system does not have';

/** Resident set size of `pid` in bytes. */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Runs `work` while sampling the balancer's RSS every 50 ms; returns the peak. */
async function peakRss<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = rss(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rss(pid))), 50);
  try {
    const result = await work();
    return { result, peak: Math.max(peak, rss(pid)) };
  } finally {
    clearInterval(timer);
  }
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;

describe('1 GiB bodies through the balancer on Node', { skip, timeout: 180_000 }, () => {
  let backend: TestBackend;
  let lb: Running;
  before(async () => {
    backend = await startBackend('big');
    lb = await startEntry('node', ['--config', writeConfig({ load_balancer: { port: 0 }, servers: [{ url: backend.url }], timeout: 60, log_level: 'warn', access_log: 'off' })]);
  });
  after(async () => {
    await lb?.stop('SIGKILL');
    await backend?.close();
  });

  it('streams a 1 GiB download in bounded memory', async () => {
    const { result: got, peak } = await peakRss(lb.child.pid!, async () => {
      const res = await fetch(`${lb.url}/download?bytes=${GiB}`);
      assert.equal(res.status, 200);
      return countBytes(res.body);
    });
    console.log(`1 GiB download: ${got} bytes received; balancer peak RSS ${mib(peak)}`);
    assert.equal(got, GiB);
    assert.ok(peak < RSS_LIMIT, `peak RSS ${mib(peak)} ≥ ${mib(RSS_LIMIT)}`);
  });

  it('streams a 1 GiB upload in bounded memory (and does not keep it for replay)', async () => {
    const body = bytesStream(GiB, 7);
    const { result: echoed, peak } = await peakRss(lb.child.pid!, async () => {
      const res = await fetch(`${lb.url}/echo`, { method: 'PUT', body, duplex: 'half' } as RequestInit);
      assert.equal(res.status, 200);
      return (JSON.parse(await res.text()) as { body_bytes: number }).body_bytes;
    });
    console.log(`1 GiB upload: backend received ${echoed} bytes; balancer peak RSS ${mib(peak)}`);
    assert.equal(echoed, GiB);
    assert.ok(peak < RSS_LIMIT, `peak RSS ${mib(peak)} ≥ ${mib(RSS_LIMIT)}`);
  });
});
