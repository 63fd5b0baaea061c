import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import * as v from 'valibot';
import { MAX_JSON_DEPTH, parseJson } from '../config/json.ts';
import { ServerSpecError } from '../config/server.ts';
import { badRequest, problemResponse } from '../core/problems.ts';
import { ConflictError, NotFoundError } from '../core/state.ts';
import { describeIssues } from './schemas.ts';

/** The most bytes an admin request body may carry: 1 MiB. */
export const MAX_ADMIN_BODY = 1024 * 1024;

/**
 * Middleware for the admin API: a body past `MAX_ADMIN_BODY` is answered 413
 * (problem+json) as soon as its bytes pass the limit, whether or not it
 * declares a Content-Length; the rest of it is never read or held.
 */
export function limitAdminBody(): MiddlewareHandler {
  return bodyLimit({
    maxSize: MAX_ADMIN_BODY,
    onError: (c) =>
      problemResponse({
        type: 'urn:switchyard:problem:payload-too-large',
        title: 'Payload too large',
        status: 413,
        detail: `The body is larger than ${MAX_ADMIN_BODY} bytes (1 MiB), the most an admin request may carry.`,
        instance: c.req.path,
      }),
  });
}

/**
 * Reads and validates a JSON body (read within `limitAdminBody`); a 400
 * problem response when it is not valid JSON, gives a key twice, holds a
 * number out of range, nests deeper than `MAX_JSON_DEPTH`, or does not fit
 * `schema`.
 */
export async function readJson<S extends v.GenericSchema>(c: Context, schema: S): Promise<v.InferOutput<S> | Response> {
  const r = await readJsonWithRaw(c, schema);
  return r instanceof Response ? r : r.output;
}

/** As `readJson`, keeping the body as given too (`raw`), for what is stored as the client wrote it. */
export async function readJsonWithRaw<S extends v.GenericSchema>(c: Context, schema: S): Promise<{ raw: unknown; output: v.InferOutput<S> } | Response> {
  const json = parseJson(await c.req.text());
  if (!json.ok) {
    const e = json.error;
    const detail = e.path !== undefined ? 'The body has invalid fields.' : e.message.startsWith('invalid JSON') ? 'The body is not valid JSON.' : `The body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels.`;
    return problemResponse(badRequest(detail, [`${e.path ?? '(body)'}: ${e.message} (line ${e.line}, column ${e.column})`], c.req.path));
  }
  const data = json.value;
  const parsed = v.safeParse(schema, data);
  if (!parsed.success) return problemResponse(badRequest('The body has invalid fields.', describeIssues(parsed.issues), c.req.path));
  return { raw: data, output: parsed.output };
}

/** A 400 problem listing `errors` (one line each: `path: message, got value`). */
export function invalid(c: Context, errors: string[]): Response {
  return problemResponse(badRequest('The body has invalid fields.', errors, c.req.path));
}

/** The problem response for an admin change that could not apply (404, 409, 400); rethrows anything else. */
export function errorResponse(c: Context, e: unknown): Response {
  if (e instanceof NotFoundError) return problem(c, 404, 'not-found', 'Not found', e.message);
  if (e instanceof ConflictError) return problem(c, 409, 'conflict', 'Conflict', e.message);
  if (e instanceof ServerSpecError) return problemResponse(badRequest('The server is not usable.', [e.message], c.req.path));
  throw e;
}

export function problem(c: Context, status: number, type: string, title: string, detail: string): Response {
  return problemResponse({ type: `urn:switchyard:problem:${type}`, title, status, detail, instance: c.req.path });
}

/** Runs an admin change, answering its refusal as a problem. */
export async function attempt(c: Context, change: () => Promise<Response>): Promise<Response> {
  try {
    return await change();
  } catch (e) {
    return errorResponse(c, e);
  }
}
