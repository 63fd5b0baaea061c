/** The node:zlib compressing streams: each chunk flushed, the whole body intact, cancel and abort end the engine. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import type { ContentCoding } from '../core/compress.ts';
import { zlibCompress } from './compress.ts';

/** A decompressor fed as bytes arrive; `text` is everything it has produced so far. */
function inflater(encoding: ContentCoding) {
  const engine = encoding === 'gzip' ? zlib.createGunzip() : zlib.createBrotliDecompress();
  let text = '';
  engine.on('data', (b: Buffer) => (text += b.toString()));
  return {
    engine,
    push: (bytes: Uint8Array) => new Promise<void>((r, j) => engine.write(bytes, (e) => (e ? j(e) : r()))),
    text: () => text,
    end: async () => {
      engine.end();
      await once(engine, 'end');
      return text;
    },
  };
}

const decompress = (encoding: ContentCoding, bytes: Buffer) => (encoding === 'gzip' ? zlib.gunzipSync(bytes) : zlib.brotliDecompressSync(bytes));

async function readAll(readable: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of readable as unknown as AsyncIterable<Uint8Array>) parts.push(c);
  return Buffer.concat(parts);
}

for (const encoding of ['gzip', 'br'] as const) {
  describe(`zlibCompress(${encoding})`, () => {
    it('hands on each chunk compressed as soon as it is written, before the next', async () => {
      const stream = zlibCompress(encoding)!;
      const writer = stream.writable.getWriter();
      const reader = stream.readable.getReader();
      const client = inflater(encoding);
      for (let i = 0; i < 5; i++) {
        const line = `event line ${i}\n`;
        void writer.write(new TextEncoder().encode(line));
        // Read until this line decompresses: no later write has been made yet.
        while (!client.text().endsWith(line)) {
          const r = await reader.read();
          assert.equal(r.done, false, `the stream ended before line ${i} came out`);
          await client.push(r.value!);
        }
        assert.equal(client.text().split('\n').length - 1, i + 1);
      }
      void writer.close();
      for (let r = await reader.read(); !r.done; r = await reader.read()) await client.push(r.value);
      assert.equal(await client.end(), [0, 1, 2, 3, 4].map((i) => `event line ${i}\n`).join(''));
    });

    it('a 1 MiB body in uneven chunks decompresses to exactly itself, and is smaller', async () => {
      const original = Buffer.from(Array.from({ length: 70_000 }, (_, i) => `row ${i}: ${(i * 7919) % 10007}\n`).join('').slice(0, 1 << 20));
      assert.equal(original.length, 1 << 20);
      const stream = zlibCompress(encoding)!;
      const writing = (async () => {
        const w = stream.writable.getWriter();
        for (let at = 0, n = 1; at < original.length; at += n, n = (n * 3 + 1) % 70_000 || 1) await w.write(original.subarray(at, at + n));
        await w.close();
      })();
      const compressed = await readAll(stream.readable);
      await writing;
      assert.ok(compressed.length < original.length / 2, `${compressed.length} bytes`);
      assert.ok(decompress(encoding, compressed).equals(original));
    });

    it('an empty body is a valid empty stream', async () => {
      const stream = zlibCompress(encoding)!;
      void stream.writable.getWriter().close();
      assert.equal(decompress(encoding, await readAll(stream.readable)).length, 0);
    });

    it('a reader that goes away makes the writer fail rather than wait', async () => {
      const stream = zlibCompress(encoding)!;
      const writer = stream.writable.getWriter();
      const reader = stream.readable.getReader();
      // A write waits for the reader to ask (TransformStream backpressure): the reader cancels instead.
      const pending = writer.write(new Uint8Array(10));
      await reader.cancel('client gone');
      await assert.rejects(pending);
      await assert.rejects(writer.write(new Uint8Array(10)));
    });

    it('a writer that aborts errors the reader', async () => {
      const stream = zlibCompress(encoding)!;
      const writer = stream.writable.getWriter();
      const reader = stream.readable.getReader();
      await writer.abort(new Error('backend reset'));
      await assert.rejects(reader.read(), /backend reset/);
    });
  });
}
