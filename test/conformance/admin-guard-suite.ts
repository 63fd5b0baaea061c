/**
 * The admin guard conformance suite, on every runtime entry, over raw sockets
 * (so each runtime's server sees the request target and Host exactly as sent):
 * with no admin token, a page on a name that resolves to 127.0.0.1 (DNS
 * rebinding) cannot use the admin API; and a path spelled another way
 * (`/x/../api`, `//api`, `%2e%2e`) is routed and forwarded as one normalised
 * path, so no backend receives an admin path the admin API did not answer.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { scriptedServer, type ScriptedServer } from '../fixtures/scripted-http.ts';
import type { Running } from './harness.ts';
import type { Starter } from './suite.ts';

export interface AdminGuardOptions {
  /** Features this runtime cannot show, with the reason (printed as the skip). */
  skip?: Partial<Record<'hostNames', string>>;
  /** Extra config keys for this runtime (e.g. `storage`). */
  config?: Record<string, unknown>;
  /**
   * The runtime's own server resolves dot segments before the app sees the URL (as a URL parser
   * does: a `..` above the root stays at the root), so the balancer cannot answer 400 for one.
   */
  dotsResolvedByServer?: string;
}

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `head` (and `body`) as-is on a fresh connection with `Connection: close`; resolves with the parsed answer. */
function raw(port: number, head: string[], body = ''): Promise<RawAnswer> {
  const lines = [...head, 'Connection: close', ...(body ? [`Content-Length: ${Buffer.byteLength(body)}`] : [])];
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`));
    let got = '';
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within 10 s to ${head[0]}`)), 10_000);
    socket.setEncoding('latin1');
    socket.on('data', (d) => (got += d));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      const end = got.indexOf('\r\n\r\n');
      if (end < 0) return reject(new Error(`no complete head in ${JSON.stringify(got)} for ${head[0]}`));
      const [status, ...fields] = got.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const f of fields) headers[f.slice(0, f.indexOf(':')).trim().toLowerCase()] = f.slice(f.indexOf(':') + 1).trim();
      let rest = got.slice(end + 4);
      if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
        let text = '';
        for (;;) {
          const eol = rest.indexOf('\r\n');
          const size = parseInt(rest.slice(0, eol), 16);
          if (!size) break;
          text += rest.slice(eol + 2, eol + 2 + size);
          rest = rest.slice(eol + 2 + size + 2);
        }
        rest = text;
      }
      resolve({ status: Number(status.split(' ')[1]), headers, body: rest });
    });
  });
}

const json = (a: RawAnswer) => JSON.parse(a.body) as Record<string, unknown>;

export function runAdminGuardConformance(name: string, start: Starter, options: AdminGuardOptions = {}): void {
  describe(`admin guard conformance: ${name}`, { timeout: 120_000 }, () => {
    let backend: ScriptedServer;
    let lb: Running;
    const own = () => `127.0.0.1:${lb.port}`;
    /** Targets the backend received (it records each request as it arrives). */
    const received = () => backend.requests.map((r) => `${r.method} ${r.target}`);
    const servers = async () => (json(await raw(lb.port, ['GET /api/servers HTTP/1.1', `Host: ${own()}`])).servers as Array<{ url: string }>).map((s) => s.url);

    before(async () => {
      backend = await scriptedServer((req, conn) => {
        const text = JSON.stringify({ target: req.target });
        void conn.respond(200, 'OK', [['content-type', 'application/json'], ['content-length', Buffer.byteLength(text)]], text);
      });
      lb = await start({
        load_balancer: { host: '127.0.0.1', port: 0 },
        servers: [{ url: backend.origin }],
        health_check: { enabled: false },
        timeout: 2,
        // No token: the host names are what keeps a rebinding page out.
        admin: { allowed_hosts: ['lb.internal'] },
        log_level: 'warn',
        ...options.config,
      });
    });
    after(async () => {
      await lb?.stop('SIGKILL');
      await backend?.close();
    });
    beforeEach(() => {
      backend.requests.length = 0;
    });

    it('refuses the write of a page on another name that resolves here (matching Host and Origin), and nothing changes', async () => {
      const host = `evil.example:${lb.port}`;
      const before = await servers();
      const write = await raw(lb.port, ['POST /api/servers HTTP/1.1', `Host: ${host}`, `Origin: http://${host}`, 'Content-Type: text/plain'], JSON.stringify({ url: 'http://127.0.0.1:9' }));
      assert.equal(write.status, 403, write.body);
      assert.equal(write.headers['content-type'], 'application/problem+json');
      assert.deepEqual(await servers(), before, 'no server added');
      assert.deepEqual(received(), [], 'nothing reached the backend');
    });

    it('refuses the reads of a page on another name, and answers localhost, the listen address and admin.allowed_hosts', { skip: options.skip?.hostNames }, async () => {
      for (const target of ['/api/stats', '/api/openapi.json', '/api/dashboard', '/api/metrics', '/api/v1/services']) {
        const r = await raw(lb.port, [`GET ${target} HTTP/1.1`, `Host: evil.example:${lb.port}`, `Origin: http://evil.example:${lb.port}`]);
        assert.equal(r.status, 403, `${target}: ${r.body}`);
        const p = json(r);
        assert.deepEqual([p.type, p.host], ['urn:switchyard:problem:host-not-allowed', 'evil.example'], target);
        assert.match(String(p.detail), /admin\.allowed_hosts/);
      }
      for (const host of [`localhost:${lb.port}`, own(), 'lb.internal', `lb.internal:${lb.port}`]) {
        const r = await raw(lb.port, ['GET /api/openapi.json HTTP/1.1', `Host: ${host}`]);
        assert.equal(r.status, 200, `${host}: ${r.body.slice(0, 200)}`);
      }
      assert.deepEqual(received(), [], 'nothing reached the backend');
    });

    it('answers its own host names on every runtime, the edge included', async () => {
      for (const host of [`localhost:${lb.port}`, own()]) {
        const r = await raw(lb.port, ['GET /api/stats HTTP/1.1', `Host: ${host}`]);
        assert.equal(r.status, 200, `${host}: ${r.body.slice(0, 200)}`);
        assert.ok('total_requests' in json(r));
      }
    });

    it('routes an admin path spelled another way to the admin API (or refuses it), never to a backend', async () => {
      const before = await servers();
      for (const target of ['/x/../api/servers', '//api/servers', '/x/%2e%2e/api/servers', '/x/.%2E/api/servers', '/./api//servers', '/api/./servers']) {
        // An invalid body: the admin API answers 400 listing the fields (at the edge, 403: no token), and nothing changes.
        const r = await raw(lb.port, [`POST ${target} HTTP/1.1`, `Host: ${own()}`, 'Content-Type: application/json'], '{"port":0}');
        assert.ok(r.status === 400 || r.status === 403, `${target}: ${r.status} ${r.body}`);
        assert.equal(r.headers['content-type'], 'application/problem+json', target);
        assert.deepEqual(received(), [], `${target} reached the backend`);
      }
      assert.deepEqual(await servers(), before);
      const stats = await raw(lb.port, ['GET //api/./stats HTTP/1.1', `Host: ${own()}`]);
      assert.equal(stats.status, 200, stats.body);
      assert.ok('total_requests' in json(stats), 'the admin API answered');
      assert.deepEqual(received(), []);
    });

    it('forwards the normalised path (a body too), and answers 400 for a ".." above the root', async () => {
      const cases: Array<[string, string]> = [
        ['/a//b///c?x=/../y', '/a/b/c?x=/../y'],
        ['//x/../echo/./', '/echo/'],
        ['/a/%2e%2e/b', '/b'],
        ['/a%2F..%2Fapi/servers', '/a%2F..%2Fapi/servers'],
      ];
      for (const [sent, want] of cases) {
        backend.requests.length = 0;
        const r = await raw(lb.port, [`GET ${sent} HTTP/1.1`, `Host: ${own()}`]);
        assert.equal(r.status, 200, `${sent}: ${r.body}`);
        assert.equal(json(r).target, want, sent);
      }
      backend.requests.length = 0;
      const post = await raw(lb.port, ['POST //upload/./x HTTP/1.1', `Host: ${own()}`, 'Content-Type: text/plain'], 'a body that travels too');
      assert.equal(post.status, 200, post.body);
      assert.equal(json(post).target, '/upload/x');
      assert.equal(Buffer.from(backend.requests[0].body).toString(), 'a body that travels too', 'the body goes with the request at its new path');
      backend.requests.length = 0;
      for (const sent of ['/../api/servers', '/a/../../api/servers']) {
        const r = await raw(lb.port, [`GET ${sent} HTTP/1.1`, `Host: ${own()}`]);
        if (options.dotsResolvedByServer) {
          // The runtime's server resolved the dots first, at the root: the admin API answers.
          assert.equal(r.status, 200, `${sent}: ${r.body}`);
          assert.ok(Array.isArray(json(r).servers), sent);
        } else {
          assert.equal(r.status, 400, `${sent}: ${r.body}`);
          assert.match(String(json(r).detail), /climbs above the root/);
        }
      }
      assert.deepEqual(received(), []);
    });
  });
}
