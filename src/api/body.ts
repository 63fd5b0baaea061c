import type { Context } from 'hono';
import * as v from 'valibot';
import { ServerSpecError } from '../config/server.ts';
import { badRequest, problemResponse } from '../core/problems.ts';
import { ConflictError, NotFoundError } from '../core/state.ts';
import { describeIssues } from './schemas.ts';

const MAX_BODY = 64 * 1024;

/** Reads and validates a JSON body; a 400 problem response when it is not valid. */
export async function readJson<S extends v.GenericSchema>(c: Context, schema: S): Promise<v.InferOutput<S> | Response> {
  const r = await readJsonWithRaw(c, schema);
  return r instanceof Response ? r : r.output;
}

/** As `readJson`, keeping the body as given too (`raw`), for what is stored as the client wrote it. */
export async function readJsonWithRaw<S extends v.GenericSchema>(c: Context, schema: S): Promise<{ raw: unknown; output: v.InferOutput<S> } | Response> {
  const text = await c.req.text();
  if (text.length > MAX_BODY) return problemResponse(badRequest('The body is too large.', [`(body): at most ${MAX_BODY} bytes`], c.req.path));
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return problemResponse(badRequest('The body is not valid JSON.', [`(body): ${(e as Error).message}`], c.req.path));
  }
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
