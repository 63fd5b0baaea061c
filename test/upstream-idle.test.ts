/**
 * An idle keep-alive connection from the balancer to a backend that states no
 * keep-alive timeout of its own is closed after a few seconds on every process
 * entry that can set one (undici's keepAliveTimeout on Node, the fetch
 * client's pool idle timeout on Deno), so a burst does not leave its connections open.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startEntry, writeConfig, type Running, type RuntimeName } from './conformance/harness.ts';

const RUNTIMES: Array<[RuntimeName, string | false]> = [
  ['node', false],
  ['bun', "Bun's fetch offers no idle timeout for its connection pool: the backend's own keep-alive timeout closes them (README runtime table)"],
  ['deno', false],
];

for (const [runtime, skip] of RUNTIMES) {
  describe(`idle upstream connections: ${runtime}`, { skip, timeout: 60_000 }, () => {
    let backend: Server;
    let lb: Running;
    const sockets: Socket[] = [];
    before(async () => {
      // A backend that keeps every connection open and advertises no keep-alive timeout of its own,
      // so what closes an idle connection is the balancer's own timeout.
      backend = createServer((socket) => {
        sockets.push(socket);
        socket.on('error', () => {});
        socket.on('data', (d) => {
          if (d.includes('\r\n\r\n')) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
        });
      });
      await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
      const url = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
      lb = await startEntry(runtime, ['--config', writeConfig({ load_balancer: { port: 0 }, servers: [{ url }], health_check: { enabled: false }, log_level: 'error' })]);
    });
    after(async () => {
      await lb.stop();
      for (const s of sockets) s.destroy();
      await new Promise((r) => backend.close(r));
    });

    it('a connection left idle after a request is closed within 10 s', async () => {
      const r = await fetch(`${lb.url}/x`);
      assert.equal(r.status, 200);
      await r.text();
      assert.ok(sockets.length >= 1);
      const t0 = performance.now();
      await Promise.race([
        Promise.all(sockets.map((s) => (s.closed ? null : new Promise((done) => s.once('close', done))))),
        new Promise((_, reject) => setTimeout(() => reject(new Error('still open after 10 s')), 10_000)),
      ]);
      const s = (performance.now() - t0) / 1000;
      assert.ok(s >= 2, `closed after ${s.toFixed(1)} s: too soon to be an idle timeout`);
    });
  });
}
