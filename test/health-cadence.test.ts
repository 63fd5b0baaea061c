/**
 * End to end on the Node entry: a backend counts the health checks that
 * reach it, and with `interval: 1, jitter: 0` they come a second apart, the
 * 400 ms each answer takes included (the interval counts from a check's start).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startEntry, writeConfig, type Running } from './conformance/harness.ts';

const CHECKS = 6;
/** How long the backend takes to answer a check. */
const ANSWER_MS = 400;

describe('health-check cadence (Node entry)', { timeout: 60_000 }, () => {
  let backend: Server;
  let lb: Running | undefined;
  const hits: number[] = [];
  let enough: () => void;
  const counted = new Promise<void>((r) => (enough = r));

  before(async () => {
    backend = createServer((req, res) => {
      if (req.url === '/health') {
        hits.push(performance.now());
        if (hits.length === CHECKS) enough();
      }
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'), req.url === '/health' ? ANSWER_MS : 0);
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
    const port = (backend.address() as AddressInfo).port;
    lb = await startEntry('node', [
      '--config',
      writeConfig({
        load_balancer: { host: '127.0.0.1', port: 0 },
        servers: [{ url: `http://127.0.0.1:${port}` }],
        health_check: { enabled: true, interval: 1, jitter: 0, timeout: 0.8, path: '/health' },
        log_level: 'warn',
      }),
    ]);
  });
  after(async () => {
    await lb?.stop('SIGKILL');
    await new Promise((r) => backend.close(r));
  });

  it(`checks a healthy server every interval: ${CHECKS} checks about a second apart`, async () => {
    // Bounded: six checks a second apart take five seconds; twelve is twice as late.
    // Scheduled from the end of each check instead, they would come 1.4 s apart.
    const timeout = new Promise<'late'>((r) => setTimeout(() => r('late'), 12_000).unref());
    const got = await Promise.race([counted, timeout]);
    const gaps = hits.slice(1).map((t, i) => Math.round(t - hits[i]));
    assert.notEqual(got, 'late', `${hits.length} checks in 12 s, gaps ${gaps.join(', ')} ms`);
    const sorted = [...gaps].sort((x, y) => x - y);
    const median = sorted[Math.floor(sorted.length / 2)];
    // A loaded machine may delay one timer; a check skipped would show as a 2 s gap.
    assert.ok(median >= 900 && median <= 1_200, `median gap ${median} ms (gaps ${gaps.join(', ')})`);
    assert.ok(sorted[sorted.length - 1] < 1_800, `no check skipped: gaps ${gaps.join(', ')} ms`);
  });
});
