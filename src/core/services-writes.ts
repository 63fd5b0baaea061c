/**
 * How a writer of the services document tells, from a later read, whether its
 * write is still there. Each write appends its mark (version and a random id)
 * to the document's `writes`, so a document that comes from a write lists it.
 * On a store that is not atomic (KV: last writer wins), a write another writer
 * overwrote is missing from every document after it.
 */
import type { ServicesDocument, WriteMark } from './types.ts';

/** How many of its latest writes a services document lists: how many writes later a lost one can still be told. */
export const WRITES_LISTED = 16;

/**
 * How long a store that is not atomic may show an older document after a
 * write (KV: up to about 60 s), with a margin: a verdict on a write is final
 * only after it.
 */
export const SETTLE_MS = 90_000;

/** A write of this instance whose fate is not known yet. */
export interface OpenWrite {
  mark: WriteMark;
  /** The change, in words. */
  what: string;
  /** When it was written (epoch ms). */
  at: number;
}

/**
 * What a read of the services document says about an earlier write:
 * - `kept`: the document comes from it, and long enough after it that no slower copy can still show otherwise;
 * - `lost`: another write took its version, or long after it the store still shows an older version;
 * - `open`: too soon to tell (ask again at the next read);
 * - `unknown`: more writes since than the document lists, or a document without marks.
 */
export type WriteFate = 'kept' | 'lost' | 'open' | 'unknown';

export function writeFate(doc: ServicesDocument, write: OpenWrite, now: number, settleMs: number = SETTLE_MS): WriteFate {
  const listed = doc.writes ?? [];
  const settled = now - write.at >= settleMs;
  if (listed.some((m) => m.id === write.mark.id)) return settled ? 'kept' : 'open';
  if (doc.version < write.mark.version) return settled ? 'lost' : 'open';
  return listed.some((m) => m.version === write.mark.version) ? 'lost' : 'unknown';
}

/** `content` as the document after `base`: one version on, written `at`, listing this write's mark `id`. */
export function stampWrite(content: Omit<ServicesDocument, 'version' | 'updated_at'>, base: ServicesDocument, at: number, id: string): ServicesDocument {
  const version = base.version + 1;
  return { ...content, version, updated_at: at, writes: [...(base.writes ?? []), { version, id }].slice(-WRITES_LISTED) };
}

/** Whether two services documents are the same write (the same version from the same writer). */
export function sameWrite(a: ServicesDocument, b: ServicesDocument): boolean {
  return a.version === b.version && a.writes?.at(-1)?.id === b.writes?.at(-1)?.id;
}

/** A random id for one write (12 hex digits). */
export function randomWriteId(): string {
  let s = '';
  for (const x of crypto.getRandomValues(new Uint8Array(6))) s += x.toString(16).padStart(2, '0');
  return s;
}
