import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BodyTooLargeError, limitBody, prepareBody } from './body.ts';

/** Byte `i` of every test body: a pattern that shows reordering or loss. */
const byteAt = (i: number): number => (i * 7 + 3) % 251;

function expected(total: number): Uint8Array {
  return Uint8Array.from({ length: total }, (_, i) => byteAt(i));
}

interface Source {
  stream: ReadableStream<Uint8Array>;
  /** Chunks handed to the stream so far. */
  pulled(): number;
  /** The reason the stream was cancelled with, if it was. */
  cancelled(): unknown;
}

/** A body of chunks of the given sizes, produced one per pull; errors instead of chunk `failAt` when set. */
function source(sizes: number[], failAt = -1, error = new Error('client went away')): Source {
  let i = 0;
  let offset = 0;
  let reason: unknown;
  const stream = new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (i === failAt) return ctrl.error(error);
      if (i >= sizes.length) return ctrl.close();
      const chunk = Uint8Array.from({ length: sizes[i] }, (_, k) => byteAt(offset + k));
      offset += sizes[i++];
      ctrl.enqueue(chunk);
    },
    cancel(r) {
      reason = r;
    },
  });
  return { stream, pulled: () => i, cancelled: () => reason };
}

function post(body: ReadableStream<Uint8Array> | null, headers: Record<string, string> = {}): Request {
  return new Request('http://balancer.test/upload', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);
}

async function readAll(body: BodyInit | null): Promise<Uint8Array> {
  assert.ok(body instanceof ReadableStream, 'a streamed body is a ReadableStream');
  return new Uint8Array(await new Response(body).arrayBuffer());
}

const sum = (sizes: number[]): number => sizes.reduce((a, b) => a + b, 0);

/** A Request-like object whose body must not be touched. */
function untouchable(method: string, headers: Record<string, string> = {}): Request {
  return {
    method,
    headers: new Headers(headers),
    get body(): never {
      throw new Error('body was read');
    },
  } as unknown as Request;
}

describe('prepareBody: no body', () => {
  const table: Array<[string, Request]> = [
    ['GET', untouchable('GET')],
    ['HEAD', untouchable('HEAD')],
    ['GET even with a Content-Length', untouchable('GET', { 'content-length': '10' })],
    ['POST with Content-Length: 0', untouchable('POST', { 'content-length': '0' })],
  ];
  for (const [name, request] of table) {
    it(`${name}: none, without touching the body`, async () => {
      const p = await prepareBody(request, 16);
      assert.equal(p.next(), null);
      assert.equal(p.next(), null, 'none can be "sent" any number of times');
      assert.equal(p.replayable, true);
      assert.equal(p.bufferedBytes, 0);
    });
  }

  it('POST without a body: none', async () => {
    const p = await prepareBody(post(null), 16);
    assert.equal(p.next(), null);
    assert.equal(p.replayable, true);
  });
});

describe('prepareBody: within the limit is buffered and replayable', () => {
  const limit = 16;
  const table: Array<[string, number[], Record<string, string>?]> = [
    ['one small chunk', [10]],
    ['several small chunks', [3, 3, 3]],
    ['exactly at the limit, in two chunks', [8, 8]],
    ['exactly at the limit, in one chunk', [16]],
    ['exactly at the limit, declared', [16], { 'content-length': '16' }],
    ['with empty chunks among them', [4, 0, 4]],
    ['an empty stream without Content-Length', []],
  ];
  for (const [name, sizes, headers] of table) {
    it(name, async () => {
      const total = sum(sizes);
      const p = await prepareBody(post(source(sizes).stream, headers), limit);
      assert.equal(p.replayable, true);
      assert.equal(p.bufferedBytes, total);
      const first = p.next() as Uint8Array;
      const second = p.next() as Uint8Array;
      assert.ok(first instanceof Uint8Array);
      assert.deepEqual(first, expected(total));
      assert.deepEqual(second, expected(total));
      if (total > 0) {
        assert.notEqual(first.buffer, second.buffer, 'each attempt gets its own copy');
        first[0] ^= 0xff; // an attempt that consumed or changed its copy
        assert.deepEqual(p.next(), expected(total), 'later attempts still get the original bytes');
      }
    });
  }
});

describe('prepareBody: over the limit streams once', () => {
  const limit = 16;
  const table: Array<[string, number[], number]> = [
    // name, chunk sizes, chunks read before the limit was crossed
    ['one byte over, in the second chunk', [8, 9], 2],
    ['over in the first chunk', [17], 1],
    ['crossed after several chunks, the rest unread', [5, 5, 5, 5, 5, 5], 4],
    ['a long body: only the head is read before sending', Array(100).fill(5), 4],
  ];
  for (const [name, sizes, head] of table) {
    it(name, async () => {
      const src = source(sizes);
      const p = await prepareBody(post(src.stream), limit);
      assert.equal(p.replayable, false);
      assert.equal(p.bufferedBytes, 0);
      // The stream reads one chunk ahead of its reader (highWaterMark 1), no more.
      assert.ok(src.pulled() <= head + 1, `read ${src.pulled()} chunks before sending; want at most ${head + 1}`);
      const body = p.next();
      assert.throws(() => p.next(), /already sent/);
      assert.deepEqual(await readAll(body), expected(sum(sizes)), 'the head chunks, then the rest, in order');
    });
  }

  it('limit 0: any byte streams', async () => {
    const p = await prepareBody(post(source([1]).stream), 0);
    assert.equal(p.replayable, false);
    assert.deepEqual(await readAll(p.next()), expected(1));
  });

  it('a declared Content-Length above the limit streams the body as it is, unread', async () => {
    const src = source([40, 40]);
    const request = post(src.stream, { 'content-length': '80' });
    const p = await prepareBody(request, limit);
    assert.equal(p.replayable, false);
    assert.equal(request.body!.locked, false, 'nothing took a reader');
    const body = p.next();
    assert.equal(body, request.body, 'the request body itself, not a copy');
    assert.throws(() => p.next(), /already sent/);
    assert.deepEqual(await readAll(body), expected(80));
  });

  it('a declared Content-Length one over the limit streams; at the limit it buffers', async () => {
    const over = await prepareBody(post(source([17]).stream, { 'content-length': '17' }), limit);
    assert.equal(over.replayable, false);
    const at = await prepareBody(post(source([16]).stream, { 'content-length': '16' }), limit);
    assert.equal(at.replayable, true);
  });

  it('a declared Content-Length that understates the body still streams once past the limit', async () => {
    const p = await prepareBody(post(source([10, 10]).stream, { 'content-length': '5' }), limit);
    assert.equal(p.replayable, false);
    assert.deepEqual(await readAll(p.next()), expected(20));
  });

  it('cancelling the streamed body cancels the client body', async () => {
    const src = source([10, 10, 10, 10]);
    const p = await prepareBody(post(src.stream), limit);
    const reason = new Error('upstream gone');
    await (p.next() as ReadableStream<Uint8Array>).cancel(reason);
    assert.equal(src.cancelled(), reason);
  });
});

describe('prepareBody: a body that fails', () => {
  it('an error while reading within the limit rejects with it', async () => {
    const error = new Error('client went away');
    await assert.rejects(prepareBody(post(source([4, 4, 4], 1, error).stream), 16), (e) => e === error);
  });

  it('an error on the first read rejects', async () => {
    await assert.rejects(prepareBody(post(source([4], 0).stream), 16), /client went away/);
  });

  it('an error after the limit was crossed surfaces when the streamed body is read', async () => {
    const error = new Error('client went away');
    const p = await prepareBody(post(source([10, 10, 10, 10], 3, error).stream), 16);
    assert.equal(p.replayable, false);
    const reader = (p.next() as ReadableStream<Uint8Array>).getReader();
    const got: number[] = [];
    await assert.rejects(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          got.push(value.byteLength);
        }
      })(),
      (e) => e === error,
    );
    assert.deepEqual(got, [10, 10, 10], 'every chunk before the error was delivered');
  });
});

describe('limitBody: what is left as it is', () => {
  const table: Array<[string, Request, number]> = [
    ['no limit', untouchable('POST'), 0],
    ['GET', untouchable('GET', { 'content-length': '100' }), 16],
    ['HEAD', untouchable('HEAD'), 16],
    ['a Content-Length within the limit', untouchable('POST', { 'content-length': '16' }), 16],
  ];
  for (const [name, request, max] of table) {
    it(`${name}: the same request, its body untouched`, () => {
      const limited = limitBody(request, max);
      assert.notEqual(limited, 'too_large');
      if (limited === 'too_large') return;
      assert.equal(limited.request, request);
      assert.equal(limited.exceeded(), false);
    });
  }

  it('a POST without a body: the same request', () => {
    const request = post(null);
    assert.equal((limitBody(request, 16) as { request: Request }).request, request);
  });
});

describe('limitBody: a declared Content-Length over the limit', () => {
  for (const length of ['17', '1000000000000']) {
    it(`${length} bytes over 16: refused before the body is touched`, () => {
      assert.equal(limitBody(untouchable('POST', { 'content-length': length }), 16), 'too_large');
    });
  }
});

describe('limitBody: a body of unknown length', () => {
  const table: Array<[string, number[], boolean]> = [
    ['within the limit in several chunks', [6, 6, 4], false],
    ['exactly at the limit', [16], false],
    ['one byte over in the last chunk', [8, 8, 1], true],
    ['over in its first chunk', [40], true],
  ];
  for (const [name, sizes, over] of table) {
    it(`${name}: ${over ? 'cut, the signal aborted first' : 'passes whole'}`, async () => {
      const src = source(sizes);
      const limited = limitBody(post(src.stream), 16);
      assert.notEqual(limited, 'too_large');
      if (limited === 'too_large') return;
      const { request } = limited;
      const reader = request.body!.getReader();
      const got: number[] = [];
      let failure: unknown;
      let abortedBeforeFailure = false;
      for (;;) {
        try {
          const { done, value } = await reader.read();
          if (done) break;
          got.push(...value);
        } catch (e) {
          failure = e;
          abortedBeforeFailure = request.signal.aborted;
          break;
        }
      }
      assert.equal(limited.exceeded(), over);
      if (!over) {
        assert.deepEqual(Uint8Array.from(got), expected(sum(sizes)));
        assert.equal(request.signal.aborted, false);
        return;
      }
      assert.ok(failure instanceof BodyTooLargeError, 'the body fails with BodyTooLargeError');
      assert.equal(failure.limit, 16);
      assert.ok(abortedBeforeFailure, 'the signal aborts before the body fails');
      assert.equal(request.signal.reason, failure);
      assert.ok(got.length <= 16, `no more than the limit handed on (${got.length})`);
      assert.equal(src.cancelled(), undefined, "the client's own body is left unread, not cancelled");
    });
  }

  it('the client going away aborts the new request too', () => {
    const client = new AbortController();
    const original = new Request('http://balancer.test/upload', { method: 'POST', body: source([4]).stream, duplex: 'half', signal: client.signal } as RequestInit);
    const limited = limitBody(original, 16) as { request: Request };
    assert.equal(limited.request.signal.aborted, false);
    client.abort(new Error('client gone'));
    assert.equal(limited.request.signal.aborted, true);
  });
});
