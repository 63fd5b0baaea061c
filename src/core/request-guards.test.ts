import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBackend, type TestBackend } from '../../test/fixtures/backends.ts';
import { testConfig } from '../../test/fixtures/config.ts';
import { createApp } from '../app.ts';
import { undiciTransport } from '../transport/undici.ts';
import { createLogger } from './log.ts';
import { guardRequests, hostProblem, type Handler } from './request-guards.ts';

/** A handler that records what it was called with, and answers 200 (or what `answer` makes). */
function recording(answer: (req: Request) => Response | Promise<Response> = () => new Response('ok')) {
  const calls: Array<{ request: Request; env: unknown }> = [];
  const handler: Handler = (request, env) => {
    calls.push({ request, env });
    return answer(request);
  };
  return { handler, calls };
}

/** A body of `chunks` chunks of `size` bytes each, produced one per pull. */
function chunks(count: number, size: number): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(ctrl) {
      if (i++ >= count) return ctrl.close();
      ctrl.enqueue(new Uint8Array(size).fill(120));
    },
  });
}

const post = (body: BodyInit | null, headers: Record<string, string> = {}) =>
  new Request('http://balancer.test/upload', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);

/** Reads a body the way the proxy's replay buffer does; a broken body is the client's 400. */
const readsBody = async (req: Request) => {
  try {
    await req.arrayBuffer();
    return new Response('read');
  } catch {
    return new Response('unreadable', { status: 400 });
  }
};

describe('hostProblem', () => {
  const table: Array<[string | null, string | null]> = [
    [null, null],
    ['example.com', null],
    ['example.com:8080', null],
    ['[::1]:8080', null],
    ['a.example, b.example', 'more than one Host header'],
    ['a,b', 'more than one Host header'],
  ];
  for (const [host, problem] of table) {
    it(`${JSON.stringify(host)} → ${JSON.stringify(problem)}`, () => assert.equal(hostProblem(host), problem));
  }
});

describe('guardRequests: Host', () => {
  it('answers two Host headers (joined by the runtime) with 400 problem+json naming the header, without calling the app', async () => {
    const { handler, calls } = recording();
    const res = await guardRequests(handler, { maxBodyBytes: 0 })(new Request('http://a.example/x', { headers: { host: 'a.example, b.example' } }), null);
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    const body = (await res.json()) as { errors: string[]; instance: string; detail: string };
    assert.deepEqual(body.errors, ['host: "a.example, b.example"']);
    assert.equal(body.instance, '/x');
    assert.match(body.detail, /more than one Host header/);
    assert.equal(calls.length, 0);
  });

  it('hands on a request with one Host, as it is (same object and env)', async () => {
    const { handler, calls } = recording();
    const request = new Request('http://a.example/x', { headers: { host: 'a.example' } });
    const env = { server: 1 };
    assert.equal((await guardRequests(handler, { maxBodyBytes: 0 })(request, env)).status, 200);
    assert.equal(calls[0].request, request);
    assert.equal(calls[0].env, env);
  });
});

describe('guardRequests: max_body', () => {
  it('answers a Content-Length over max_body with 413 at once, without calling the app', async () => {
    const { handler, calls } = recording();
    const res = await guardRequests(handler, { maxBodyBytes: 1024 })(post('x'.repeat(2000), { 'content-length': '2000' }), null);
    assert.equal(res.status, 413);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    const body = (await res.json()) as { type: string; max_body: number; detail: string; instance: string };
    assert.equal(body.type, 'urn:switchyard:problem:body-too-large');
    assert.equal(body.max_body, 1024);
    assert.match(body.detail, /2000 bytes \(Content-Length\); load_balancer\.max_body is 1024 bytes/);
    assert.equal(body.instance, '/upload');
    assert.equal(calls.length, 0);
  });

  it('hands on a body within max_body whole', async () => {
    const { handler } = recording(async (req) => new Response(String((await req.arrayBuffer()).byteLength)));
    const res = await guardRequests(handler, { maxBodyBytes: 1024 })(post(chunks(4, 256)), null);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '1024');
  });

  it('answers 413 in place of what the app made of a streamed body cut at max_body', async () => {
    const { handler, calls } = recording(readsBody);
    const res = await guardRequests(handler, { maxBodyBytes: 1024 })(post(chunks(8, 256)), null);
    assert.equal(calls.length, 1);
    assert.equal(res.status, 413);
    const body = (await res.json()) as { detail: string; max_body: number };
    assert.match(body.detail, /passed load_balancer\.max_body \(1024 bytes\) while it was sent/);
  });

  it('lets a response the app gave before the body passed max_body go out as it is', async () => {
    const { handler } = recording(() => new Response('early', { status: 202 }));
    const res = await guardRequests(handler, { maxBodyBytes: 1024 })(post(chunks(8, 256)), null);
    assert.equal(res.status, 202);
    assert.equal(await res.text(), 'early');
  });

  it('hands a counted body on with the env envFor gives for the original request', async () => {
    const { handler, calls } = recording(readsBody);
    const original = post(chunks(1, 10));
    await guardRequests<{ of: Request }>(handler, { maxBodyBytes: 1024, envFor: (_env, req) => ({ of: req }) })(original, { of: new Request('http://other.test/') });
    assert.notEqual(calls[0].request, original, 'a new request carries the counted body');
    assert.equal((calls[0].env as { of: Request }).of, original);
  });

  it('with max_body 0 hands on every body untouched', async () => {
    const { handler, calls } = recording(readsBody);
    const request = post(chunks(64, 1024));
    assert.equal((await guardRequests(handler, { maxBodyBytes: 0 })(request, null)).status, 200);
    assert.equal(calls[0].request, request);
  });
});

describe('guardRequests in front of the app, against a real backend', () => {
  let backend: TestBackend;
  const transport = undiciTransport();
  before(async () => {
    backend = await startBackend('A');
  });
  after(async () => {
    await backend.close();
    await transport.close?.();
  });

  /** The app behind the guard, with max_body and the replay buffer given; the access log's lines collected. */
  function guarded(maxBodyBytes: number, replayBufferBytes: number) {
    const lines: string[] = [];
    const config = testConfig([backend.url], { replayBufferBytes, accessLog: 'json', logLevel: 'info' });
    const log = createLogger('info', (line) => lines.push(line));
    const { app, balancer } = createApp({ config, transport, log, clientIp: () => '127.0.0.1' });
    const fetch = guardRequests((req) => app.fetch(req, {}), { maxBodyBytes });
    const statuses = () => lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { path?: string; status?: number }).filter((l) => l.path === '/echo').map((l) => l.status);
    return { fetch, statuses, balancer };
  }
  const upload = (n: number, size: number) => new Request('http://lb.test/echo', { method: 'POST', body: chunks(n, size), duplex: 'half' } as RequestInit);

  it('a streamed body over max_body but within the replay buffer: 413, logged as 413, no server reached', async () => {
    const { fetch, statuses } = guarded(1024, 64 * 1024);
    const hits = backend.hits.total;
    const res = await fetch(upload(8, 256), null);
    assert.equal(res.status, 413);
    assert.equal(backend.hits.total, hits, 'no server saw it');
    assert.deepEqual(statuses(), [413]);
  });

  it('a streamed body over max_body past the replay buffer: 413, and the server it was streaming to is not blamed', async () => {
    const { fetch, balancer } = guarded(4096, 1024);
    const res = await fetch(upload(64, 1024), null);
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as { max_body: number }).max_body, 4096);
    const server = (await balancer.status()).servers[backend.id] as { errors: number; ejected_until: string | null; circuit: string };
    assert.deepEqual([server.errors, server.ejected_until, server.circuit], [0, null, 'closed'], 'the cut counts as the client going away, not a server failure');
  });

  it('a body within max_body reaches the server whole', async () => {
    const { fetch, statuses } = guarded(64 * 1024, 1024);
    const res = await fetch(upload(16, 1024), null);
    assert.equal(res.status, 200);
    assert.equal((await res.json() as { body_bytes: number }).body_bytes, 16 * 1024);
    assert.deepEqual(statuses(), [200]);
  });
});
