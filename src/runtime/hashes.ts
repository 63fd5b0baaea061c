/**
 * MD5 and SHA-1 for `consistent_hash.hash_function` (seed 004), from the
 * runtime's `node:crypto`: Node, Bun and Deno have it, and Workers with the
 * `nodejs_compat` flag. Entries inject it; the core stays on web standards.
 */
import { createHash } from 'node:crypto';
import type { Digest } from '../policies/types.ts';

export const nodeDigest: Digest = (algorithm, text) => createHash(algorithm).update(text).digest();
