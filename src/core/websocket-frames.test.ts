import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closeFrame, FrameCursor } from './websocket-frames.ts';

/** A frame as a peer sends it: `opcode`, `len` payload bytes, masked or not. */
function frame(opcode: number, len: number, masked = false): Uint8Array {
  const ext = len > 65535 ? 8 : len > 125 ? 2 : 0;
  const head = new Uint8Array(2 + ext + (masked ? 4 : 0));
  head[0] = 0x80 | opcode;
  head[1] = (masked ? 0x80 : 0) | (ext === 8 ? 127 : ext === 2 ? 126 : len);
  if (ext === 2) head.set([len >> 8, len & 0xff], 2);
  if (ext === 8) new DataView(head.buffer).setUint32(6, len);
  return Uint8Array.from([...head, ...new Uint8Array(len)]);
}
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

describe('FrameCursor', () => {
  const table: Array<[string, Uint8Array]> = [
    ['a small text frame', frame(1, 5)],
    ['an empty frame', frame(9, 0)],
    ['a 16-bit length', frame(2, 300)],
    ['a 64-bit length', frame(2, 70_000)],
    ['a masked frame (client to server)', frame(1, 10, true)],
    ['two frames', concat(frame(1, 3), frame(2, 200, true))],
  ];
  for (const [what, bytes] of table) {
    it(`ends at a boundary after ${what}, fed whole or a byte at a time`, () => {
      const whole = new FrameCursor();
      assert.equal(whole.feed(bytes), bytes.length);
      assert.ok(whole.atBoundary);
      const bytewise = new FrameCursor();
      for (let i = 0; i < bytes.length; i++) {
        bytewise.feed(bytes.subarray(i, i + 1));
        if (i < bytes.length - 1 && i === 0) assert.ok(!bytewise.atBoundary, 'mid-frame after its first byte');
      }
      assert.ok(bytewise.atBoundary);
      assert.ok(!whole.sawClose);
    });
  }

  it('stops at the first boundary when asked, and takes nothing at one', () => {
    const c = new FrameCursor();
    const two = concat(frame(1, 4), frame(1, 4));
    assert.equal(c.feed(two.subarray(0, 3)), 3);
    assert.equal(c.feed(two.subarray(3), true), 6 - 3, 'the rest of the first frame only');
    assert.ok(c.atBoundary);
    assert.equal(c.feed(two.subarray(6), true), 0);
  });

  it('sees a close frame go by', () => {
    const c = new FrameCursor();
    c.feed(concat(frame(1, 2), closeFrame(1000, 'bye')));
    assert.ok(c.sawClose);
    assert.ok(c.atBoundary);
  });
});

describe('closeFrame', () => {
  it('writes code and reason, unmasked as a server does', () => {
    assert.deepEqual([...closeFrame(1001, 'ok')], [0x88, 4, 0x03, 0xe9, 0x6f, 0x6b]);
  });
  it('masks as a client must', () => {
    const mask = Uint8Array.of(1, 2, 3, 4);
    const f = closeFrame(1011, '', mask);
    assert.deepEqual([...f], [0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xf3 ^ 2]);
  });
  it('cuts the reason at 123 bytes (a control frame holds 125)', () => {
    assert.equal(closeFrame(1000, 'x'.repeat(200)).length, 2 + 125);
  });
});
