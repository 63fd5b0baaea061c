/**
 * WebSocket framing (RFC 6455 §5.2) as a tunnel needs it: where frames end in
 * a byte stream it passes on untouched, whether a close frame went by, and
 * close frames of its own to write at a frame boundary.
 */

/** Follows the frames of one direction of a stream, chunk by chunk, without copying payloads. */
export class FrameCursor {
  /** Bytes of the current frame's payload still to come (after its header). */
  private payloadLeft = 0;
  /** The current frame's header as far as it has come. */
  private header = new Uint8Array(14);
  private headerHave = 0;
  /** A close frame (opcode 8) has begun in this direction. */
  sawClose = false;

  /** Whether the bytes fed so far end exactly at a frame boundary. */
  get atBoundary(): boolean {
    return this.payloadLeft === 0 && this.headerHave === 0;
  }

  /**
   * Takes `chunk` into account and returns how many of its bytes were taken:
   * all of them, or with `stopAtBoundary`, those up to the first frame
   * boundary after at least one byte (0 when already at one).
   */
  feed(chunk: Uint8Array, stopAtBoundary = false): number {
    let i = 0;
    if (stopAtBoundary && this.atBoundary) return 0;
    while (i < chunk.length) {
      if (this.payloadLeft > 0) {
        const take = Math.min(this.payloadLeft, chunk.length - i);
        this.payloadLeft -= take;
        i += take;
      } else {
        this.header[this.headerHave++] = chunk[i++];
        const need = headerLength(this.header, this.headerHave);
        if (need === undefined || this.headerHave < need) continue;
        if ((this.header[0] & 0x0f) === 8) this.sawClose = true;
        this.payloadLeft = payloadLength(this.header);
        this.headerHave = 0;
      }
      if (stopAtBoundary && this.atBoundary) return i;
    }
    return i;
  }
}

/** The whole header's length once its first 2 bytes are known (else undefined). */
function headerLength(h: Uint8Array, have: number): number | undefined {
  if (have < 2) return undefined;
  const len7 = h[1] & 0x7f;
  const mask = h[1] & 0x80 ? 4 : 0;
  return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + mask;
}

function payloadLength(h: Uint8Array): number {
  const len7 = h[1] & 0x7f;
  if (len7 === 126) return (h[2] << 8) | h[3];
  if (len7 === 127) {
    let n = 0;
    for (let k = 2; k < 10; k++) n = n * 256 + h[k];
    return n;
  }
  return len7;
}

/**
 * A close frame with `code` and `reason` (at most 123 bytes of it): unmasked
 * as a server sends it, or masked with `mask` as a client must.
 */
export function closeFrame(code: number, reason: string, mask?: Uint8Array): Uint8Array {
  const text = new TextEncoder().encode(reason).subarray(0, 123);
  const payload = new Uint8Array(2 + text.length);
  payload[0] = code >> 8;
  payload[1] = code & 0xff;
  payload.set(text, 2);
  if (!mask) return Uint8Array.of(0x88, payload.length, ...payload);
  const out = new Uint8Array(6 + payload.length);
  out[0] = 0x88;
  out[1] = 0x80 | payload.length;
  out.set(mask.subarray(0, 4), 2);
  for (let k = 0; k < payload.length; k++) out[6 + k] = payload[k] ^ mask[k % 4];
  return out;
}
