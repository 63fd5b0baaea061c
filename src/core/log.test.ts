import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, createLogSink, type ChunkWriter } from './log.ts';

const AT = new Date('2026-01-02T03:04:05.000Z');

/** A sink over a recording writer, with the event-loop turn run by hand (`turn()`). */
function harness(write: ChunkWriter | 'slow', opts: { batchBytes?: number; maxPendingBytes?: number } = {}) {
  const chunks: string[] = [];
  const releases: Array<() => void> = [];
  const turns: Array<() => void> = [];
  const writer: ChunkWriter =
    write === 'slow'
      ? (chunk) => {
          chunks.push(chunk);
          return new Promise<void>((resolve) => releases.push(resolve));
        }
      : write;
  const sink = createLogSink({ write: writer, schedule: (f) => turns.push(f), now: () => AT, ...opts });
  return {
    sink,
    chunks,
    turn: () => turns.splice(0).forEach((f) => f()),
    /** Lets the oldest slow write finish, then lets its continuation run. */
    release: async () => {
      releases.shift()!();
      await new Promise((r) => setTimeout(r, 0));
    },
    pendingTurns: () => turns.length,
  };
}

describe('createLogSink', () => {
  it('writes the lines of one turn as one batch, in order', () => {
    const chunks: string[] = [];
    const h = harness((c) => void chunks.push(c));
    h.sink.write('a', true);
    h.sink.write('b', false);
    h.sink.write('c', true);
    assert.deepEqual(chunks, [], 'nothing before the turn ends');
    assert.equal(h.pendingTurns(), 1, 'one flush scheduled for the turn, not one per line');
    h.turn();
    assert.deepEqual(chunks, ['a\nb\nc\n']);
    h.sink.write('d', true);
    h.turn();
    assert.deepEqual(chunks, ['a\nb\nc\n', 'd\n']);
  });

  it('writes at once when the batch reaches its size, before the turn ends', () => {
    const chunks: string[] = [];
    const h = harness((c) => void chunks.push(c), { batchBytes: 10 });
    h.sink.write('1234', true); // 5 bytes with its newline
    assert.equal(chunks.length, 0);
    h.sink.write('5678', true); // 10: the batch is full
    assert.deepEqual(chunks, ['1234\n5678\n']);
    h.turn();
    assert.deepEqual(chunks, ['1234\n5678\n'], 'the turn finds nothing left');
  });

  it('gathers the next batch while one is in flight, and writes it when that one is done', async () => {
    const h = harness('slow');
    h.sink.write('a', true);
    h.turn();
    h.sink.write('b', true);
    h.sink.write('c', true);
    h.turn();
    assert.deepEqual(h.chunks, ['a\n'], 'one write at a time');
    await h.release();
    assert.deepEqual(h.chunks, ['a\n', 'b\nc\n'], 'the lines gathered meanwhile, as one batch');
    await h.release();
    assert.equal(h.sink.dropped, 0);
  });

  it('drops droppable lines past the bound while a write is in flight, counts them, and says so once', async () => {
    const h = harness('slow', { batchBytes: 4, maxPendingBytes: 8 });
    h.sink.write('first', true); // written at once: 6 bytes ≥ 4
    assert.deepEqual(h.chunks, ['first\n']);
    for (let i = 0; i < 100; i++) h.sink.write(`a${i}`, true);
    h.sink.write('kept warning', false);
    h.sink.write('dropped', true);
    // a0..a2 fill the pending buffer to 9 ≥ 8 bytes; the rest of the droppable lines go.
    assert.equal(h.sink.dropped, 98);
    await h.release();
    const warning = `2026-01-02T03:04:05.000Z warn log lines dropped: the log destination could not keep up count=98\n`;
    assert.deepEqual(h.chunks[1], `a0\na1\na2\nkept warning\n${warning}`, 'kept lines pass the bound; the warning follows the gap');
    h.sink.write('after', true);
    await h.release();
    assert.equal(h.chunks[2], 'after\n', 'lines are taken again once writing caught up');
    await h.release();
    h.sink.write('more', true);
    assert.equal(h.chunks[3], 'more\n', 'one warning per gap, not repeated');
    assert.equal(h.sink.dropped, 98);
  });

  it('keeps memory bounded under a writer that never finishes', () => {
    const h = harness('slow', { batchBytes: 1024, maxPendingBytes: 64 * 1024 });
    const line = 'x'.repeat(199);
    for (let i = 0; i < 100_000; i++) h.sink.write(line, true);
    h.turn();
    assert.equal(h.chunks.length, 1, 'the first batch, still in flight');
    const accepted = 100_000 - h.sink.dropped;
    // In memory: the batch in flight (a line past its size at most) and the pending bound (a line past it at most).
    assert.ok(accepted * 200 <= 64 * 1024 + 1024 + 2 * 200, `accepted ${accepted} lines: about the bound, not all`);
    assert.ok(accepted * 200 >= 64 * 1024, `accepted ${accepted} lines: the bound is used before dropping`);
  });

  it('flush writes everything queued and waits for the writes in flight', async () => {
    const h = harness('slow');
    h.sink.write('a', false);
    h.turn();
    h.sink.write('b', false);
    let flushed = false;
    const f = h.sink.flush().then(() => (flushed = true));
    await h.release();
    assert.deepEqual(h.chunks, ['a\n', 'b\n']);
    assert.equal(flushed, false, 'b is still in flight');
    await h.release();
    await f;
    assert.equal(flushed, true);
  });

  it('flush with a synchronous writer writes at once, before the turn', async () => {
    const chunks: string[] = [];
    const h = harness((c) => void chunks.push(c));
    h.sink.write('last words', false);
    await h.sink.flush();
    assert.deepEqual(chunks, ['last words\n']);
  });

  it('a failed write loses its batch only', async () => {
    let calls = 0;
    const chunks: string[] = [];
    const h = harness((c) => {
      if (calls++ === 0) return Promise.reject(new Error('EPIPE'));
      chunks.push(c);
    });
    h.sink.write('lost', true);
    h.turn();
    h.sink.write('next', true);
    await h.sink.flush();
    assert.deepEqual(chunks, ['next\n']);
    const h2 = harness(() => {
      throw new Error('closed');
    });
    h2.sink.write('x', true);
    assert.doesNotThrow(() => h2.turn());
  });
});

describe('createLogger', () => {
  it('marks access lines and debug as droppable, and the rest as kept', () => {
    const seen: Array<[string, boolean]> = [];
    const log = createLogger('debug', (l, droppable) => seen.push([l.replace(/^\S+ /, ''), droppable]));
    log.line('{"status":200}');
    log.debug('d');
    log.info('i', { a: 1 });
    log.warn('w');
    log.error('e', { why: 'two words' });
    assert.deepEqual(seen, [
      ['{"status":200}', true],
      ['debug d', true],
      ['info i a=1', false],
      ['warn w', false],
      ['error e why="two words"', false],
    ]);
    assert.equal(log.droppedLines, undefined, 'a plain writer never drops');
  });

  it('over a sink, reports its drops and flushes it', async () => {
    const chunks: string[] = [];
    const sink = createLogSink({ write: (c) => void chunks.push(c), schedule: () => {} });
    const log = createLogger('info', sink);
    log.debug('below the level');
    log.line('access');
    assert.equal(log.droppedLines?.(), 0);
    await log.flush?.();
    assert.deepEqual(chunks, ['access\n']);
  });
});
