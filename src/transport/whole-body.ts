/**
 * Which response bodies a transport reads whole inside `send` and hands on as
 * bytes (as nginx buffers small responses): the core then serves them without
 * a stream of its own, and the request leaves flight as soon as `send` resolves.
 */

/** Bodies with a declared length up to this many bytes are read whole. */
export const WHOLE_BODY_LIMIT_BYTES = 64 * 1024;
