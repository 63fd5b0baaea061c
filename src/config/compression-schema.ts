/**
 * `compression`: which responses the balancer compresses for clients, and
 * with what. A pool setting (every service inherits it, field by field; a
 * service's `"enabled": false` turns an inherited one off); off unless the
 * section is given.
 */
import * as v from 'valibot';
import { bytes, section } from './fields.ts';

/** The content codings the balancer can produce, in its default order of preference. */
export const CONTENT_CODINGS = ['br', 'gzip'] as const;
export type ContentCoding = (typeof CONTENT_CODINGS)[number];

/**
 * The media types compressed when `types` is not given: text (not
 * `text/event-stream`), JSON, XML, JavaScript, SVG and WebAssembly.
 * Images, audio, video, archives and woff/woff2 fonts are compressed already.
 */
export const DEFAULT_COMPRESSIBLE_TYPES: readonly string[] = [
  'text/*',
  'application/json',
  'application/*+json',
  'application/xml',
  'application/*+xml',
  'application/javascript',
  'application/x-javascript',
  'application/wasm',
  'image/svg+xml',
];

/** The smallest body compressed by default (smaller ones gain little, or grow). */
export const DEFAULT_MIN_BYTES = 1024;

/** Never compressed, whatever `types` says: each event must reach the client when it is sent. */
export const NEVER_COMPRESSED = 'text/event-stream';

/** `type/subtype`, where `*` stands for any run of token characters (`text/*`, `application/*+json`). */
const TYPE_PATTERN = /^[a-z0-9*!#$&^_.+-]+\/[a-z0-9*!#$&^_.+-]+$/;

/** The settings as the core uses them. */
export interface CompressionConfig {
  /** What may be produced, in the order the balancer prefers when the client likes several alike. */
  encodings: ContentCoding[];
  /** Bodies shorter than this (by Content-Length) are sent as they are; unknown lengths are compressed. */
  minBytes: number;
  /** Media type patterns (lower case; `*` matches any run of token characters). */
  types: string[];
}

const encodings = v.pipe(
  v.array(v.picklist(CONTENT_CODINGS, `must be one of ${CONTENT_CODINGS.join(', ')}`), `must be a list such as ["br", "gzip"]`),
  v.minLength(1, 'must list at least one encoding'),
  v.check((list) => new Set(list).size === list.length, 'must list each encoding once'),
);

const types = v.pipe(
  v.array(
    v.pipe(
      v.string('must be a media type such as "text/*" or "application/json"'),
      v.toLowerCase(),
      v.regex(TYPE_PATTERN, 'must be a media type such as "text/*", "application/json" or "application/*+json"'),
      v.check((t) => t !== NEVER_COMPRESSED, `is never compressed: each server-sent event must reach the client when it is sent`),
    ),
    'must be a list of media types such as ["text/*", "application/json"]',
  ),
  v.minLength(1, 'must list at least one media type'),
);

/** The pool setting: spread into the pool schema. */
export const compressionPoolEntries = {
  compression: v.optional(
    section({
      enabled: v.optional(v.boolean('must be true or false')),
      encodings: v.optional(encodings),
      min_bytes: v.optional(bytes),
      types: v.optional(types),
    }),
  ),
};

type CompressionInput = { compression?: { enabled?: boolean; encodings?: ContentCoding[]; min_bytes?: number; types?: string[] } };

/** The section with its defaults filled, or null when it is absent or `enabled: false` (compression off). */
export function compressionSettings(input: CompressionInput): CompressionConfig | null {
  const c = input.compression;
  if (!c || c.enabled === false) return null;
  return {
    encodings: c.encodings ?? [...CONTENT_CODINGS],
    minBytes: c.min_bytes ?? DEFAULT_MIN_BYTES,
    types: c.types ?? [...DEFAULT_COMPRESSIBLE_TYPES],
  };
}
