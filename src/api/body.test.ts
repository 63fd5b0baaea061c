/** Admin bodies: read within a byte limit as they stream in, parsed by the config's own JSON rules. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestEnv as ConnEnv } from '../../test/fixtures/app.ts';
import { testConfig } from '../../test/fixtures/config.ts';
import { createApp } from '../app.ts';
import { nodeHmac } from '../runtime/hashes.ts';
import { undiciTransport } from '../transport/undici.ts';
import { MAX_ADMIN_BODY } from './body.ts';

const local: ConnEnv = { clientIp: '127.0.0.1' };
const make = () => createApp({ config: testConfig(['http://127.0.0.1:9']), transport: undiciTransport(), hmac: nodeHmac, clientIp: (c) => (c.env as ConnEnv).clientIp }).app;

/** A body of `total` bytes in 64 KiB chunks, made only as it is read; `pulled()` says how many bytes were asked for. */
function lazyBody(total: number, fill = 0x20) {
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(64 * 1024, total - sent);
      sent += n;
      controller.enqueue(new Uint8Array(n).fill(fill));
    },
  });
  return { stream, pulled: () => sent };
}

interface ProblemBody {
  type: string;
  status: number;
  detail: string;
  errors?: string[];
}

async function send(method: string, path: string, body: string): Promise<{ status: number; type: string | null; problem: ProblemBody }> {
  const res = await make().request(path, { method, body, headers: { 'content-type': 'application/json' } }, local);
  return { status: res.status, type: res.headers.get('content-type'), problem: (await res.json()) as ProblemBody };
}

describe('admin bodies', () => {
  it('a 2 MiB chunked body without Content-Length is a 413 once 1 MiB has arrived; the rest is never read', async () => {
    const body = lazyBody(2 * 1024 * 1024);
    const res = await make().request('/api/servers', { method: 'POST', body: body.stream, duplex: 'half', headers: { 'content-type': 'application/json' } } as RequestInit, local);
    assert.equal(res.status, 413);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    const problem = (await res.json()) as ProblemBody;
    assert.equal(problem.type, 'urn:switchyard:problem:payload-too-large');
    assert.match(problem.detail, /1048576 bytes \(1 MiB\)/);
    // The limit, plus the chunk in hand and the one a stream reads ahead.
    assert.ok(body.pulled() <= MAX_ADMIN_BODY + 2 * 64 * 1024, `read ${body.pulled()} bytes of the body`);
  });

  it('a body declaring more than 1 MiB is a 413', async () => {
    const r = await send('POST', '/api/servers', ' '.repeat(MAX_ADMIN_BODY + 1));
    assert.equal(r.status, 413);
  });

  it('a body of several hundred KiB under 1 MiB is read whole', async () => {
    const r = await send('PATCH', '/api/servers/127.0.0.1:9', `{"weight": 3}${' '.repeat(512 * 1024)}`);
    assert.equal(r.status, 200, JSON.stringify(r.problem));
  });

  const table: Array<[string, string, string, string, RegExp]> = [
    ['100,000 levels of nesting', 'POST', '/api/servers', '['.repeat(100_000) + ']'.repeat(100_000), /^\(body\): nested deeper than 64 levels \(line 1, column 65\)$/],
    ['nesting inside a field', 'PUT', '/api/services/web', `{"servers": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`, /^\(body\): nested deeper than 64 levels \(line 1, column 76\)$/],
    ['a duplicate key', 'POST', '/api/servers', '{"url": "http://127.0.0.1:7", "url": "http://127.0.0.1:8"}', /^url: duplicate key \(line 1, column 31\)$/],
    ['a duplicate key deeper down', 'PUT', '/api/routes', '[{"service": "default", "match": {"path": "/a", "path": "/b"}}]', /^\[0\]\.match\.path: duplicate key \(line 1, column 49\)$/],
    ['a number out of range', 'PATCH', '/api/servers/127.0.0.1:9', '{"weight": 1e999}', /^weight: number out of range, got 1e999 \(line 1, column 12\)$/],
    ['invalid JSON', 'POST', '/api/servers', '{"host":', /^\(body\): invalid JSON: expected a value, found end of input \(line 1, column 9\)$/],
    ['port 0 in a {host, port} server', 'POST', '/api/servers', '{"host": "127.0.0.1", "port": 0}', /^port: must be an integer 1-65535, got 0$/],
    ['port 0 in a URL', 'POST', '/api/servers', '{"url": "http://127.0.0.1:0"}', /^url: the port must be 1-65535, got "http:\/\/127\.0\.0\.1:0"$/],
    ['a host no URL can hold', 'POST', '/api/servers', '{"host": "a:b", "port": 80}', /^host: must be a host name or IP address, got "a:b"$/],
    ["a registered container's bad host, named as its host", 'POST', '/api/v1/services/shop/register', '[{"container_id": "c1", "name": "n", "port": 8080, "image_id": "shop", "host": "999.1.1.1"}]', /^\[0\]\.host: must be a host name or IP address, got "999\.1\.1\.1"$/],
    ['a sticky section given as a list', 'PUT', '/api/services/web', '{"servers": [{"url": "http://127.0.0.1:7"}], "sticky": []}', /^sticky: must be an object, got \[\]$/],
  ];
  for (const [name, method, path, body, line] of table) {
    it(`${name}: 400 naming it`, async () => {
      const r = await send(method, path, body);
      assert.equal(r.status, 400, JSON.stringify(r.problem));
      assert.equal(r.type, 'application/problem+json');
      assert.equal(r.problem.type, 'urn:switchyard:problem:invalid-request');
      assert.equal(r.problem.errors?.length, 1, JSON.stringify(r.problem.errors));
      assert.match(r.problem.errors![0], line);
    });
  }
});
