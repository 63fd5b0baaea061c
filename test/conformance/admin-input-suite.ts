/**
 * The admin input conformance suite, on every runtime entry: an admin body
 * past 1 MiB is a 413 while it is still arriving (so the balancer never holds
 * it), and bodies that would crash a parser or hide a field (deep nesting,
 * duplicate keys) or name an address no backend can have are a 400
 * problem+json naming the field.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Running } from './harness.ts';
import type { Starter } from './suite.ts';

const TOKEN = 'conformance-token';

interface Answer {
  status: number;
  type: string | undefined;
  body: { type?: string; detail?: string; errors?: string[] };
}

const parse = (text: string): Answer['body'] => {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
};

/** One admin request with a JSON body given as text. */
function send(url: string, method: string, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'accept-encoding': 'identity' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Streams `sendBytes` of a body in chunks with no Content-Length and does not
 * end it; resolves with the answer the server gives while the body is still open.
 */
function answerBeforeTheEnd(url: string, sendBytes: number): Promise<Answer & { written: number }> {
  return new Promise((resolve, reject) => {
    let written = 0;
    const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'accept-encoding': 'identity' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: parse(text), written });
        req.destroy();
      });
    });
    req.on('error', (e) => (req.destroyed && written ? undefined : reject(e)));
    assert.equal(req.getHeader('content-length'), undefined);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const pump = () => {
      while (written < sendBytes) {
        written += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
    };
    pump();
  });
}

export function runAdminInputConformance(name: string, start: Starter, config: Record<string, unknown> = {}): void {
  describe(`admin input conformance: ${name}`, { timeout: 120_000 }, () => {
    let lb: Running;
    const api = (path: string) => `${lb.url}/api${path}`;

    before(async () => {
      lb = await start({
        load_balancer: { host: '127.0.0.1', port: 0 },
        admin: { token: TOKEN },
        servers: [{ url: 'http://127.0.0.1:9' }],
        health_check: { enabled: false },
        log_level: 'warn',
        ...config,
      });
    });
    after(async () => {
      await lb?.stop('SIGKILL');
    });

    it('a body past 1 MiB without Content-Length is a 413 problem while it is still arriving', { timeout: 20_000 }, async () => {
      // 1.5 MiB sent of a body that never ends: only an answer given before the end can arrive.
      const r = await answerBeforeTheEnd(api('/servers'), 1.5 * 1024 * 1024);
      assert.equal(r.status, 413);
      assert.equal(r.type, 'application/problem+json');
      assert.equal(r.body.type, 'urn:switchyard:problem:payload-too-large');
    });

    it('100,000 levels of nesting is a 400 naming the limit', async () => {
      const r = await send(api('/servers'), 'POST', '['.repeat(100_000) + ']'.repeat(100_000));
      assert.equal(r.status, 400);
      assert.equal(r.type, 'application/problem+json');
      assert.deepEqual(r.body.errors, ['(body): nested deeper than 64 levels (line 1, column 65)']);
    });

    it('a duplicate key is a 400 naming it', async () => {
      const r = await send(api('/servers'), 'POST', '{"url": "http://127.0.0.1:7", "url": "http://127.0.0.1:8"}');
      assert.equal(r.status, 400);
      assert.deepEqual(r.body.errors, ['url: duplicate key (line 1, column 31)']);
    });

    it('port 0 is a 400 naming port, or url', async () => {
      const byHost = await send(api('/servers'), 'POST', '{"host": "127.0.0.1", "port": 0}');
      assert.equal(byHost.status, 400);
      assert.deepEqual(byHost.body.errors, ['port: must be an integer 1-65535, got 0']);
      const byUrl = await send(api('/servers'), 'POST', '{"url": "http://127.0.0.1:0"}');
      assert.equal(byUrl.status, 400);
      assert.deepEqual(byUrl.body.errors, ['url: the port must be 1-65535, got "http://127.0.0.1:0"']);
    });

    it('a host no URL can hold is a 400 naming host, for a server and a registered container', async () => {
      const server = await send(api('/servers'), 'POST', '{"host": "999.1.1.1", "port": 80}');
      assert.equal(server.status, 400);
      assert.deepEqual(server.body.errors, ['host: must be a host name or IP address, got "999.1.1.1"']);
      const container = await send(api('/v1/services/shop/register'), 'POST', '[{"container_id": "c1", "name": "n", "port": 8080, "image_id": "shop", "host": "a:b"}]');
      assert.equal(container.status, 400);
      assert.deepEqual(container.body.errors, ['[0].host: must be a host name or IP address, got "a:b"']);
    });

    it('the refused bodies changed nothing', async () => {
      const r = await fetch(api('/servers'), { headers: { authorization: `Bearer ${TOKEN}` } });
      const { servers } = (await r.json()) as { servers: Array<{ id: string }> };
      assert.deepEqual(servers.map((s) => s.id), ['127.0.0.1:9']);
    });
  });
}
