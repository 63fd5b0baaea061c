/**
 * MD5 and SHA-1 for `consistent_hash.hash_function` (seed 004), and
 * HMAC-SHA-256 for sticky-session tokens, from the
 * runtime's `node:crypto`: Node, Bun and Deno have it, and Workers with the
 * `nodejs_compat` flag. Entries inject it; the core stays on web standards.
 */
import { createHash, createHmac } from 'node:crypto';
import type { Hmac } from '../core/types.ts';
import type { Digest } from '../policies/types.ts';

export const nodeDigest: Digest = (algorithm, text) => createHash(algorithm).update(text).digest();

/** HMAC-SHA-256 for signing sticky-session tokens. */
export const nodeHmac: Hmac = (key, text) => createHmac('sha256', key).update(text).digest();
