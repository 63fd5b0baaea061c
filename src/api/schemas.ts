import * as v from 'valibot';
import { problemLine, problemsOf } from '../config/issues.ts';
import { ServerSchema, weight } from '../config/server.ts';

/** `POST /api/servers`: the same server schema as the config file's `servers`. */
export const NewServerBody = ServerSchema;

/** `PATCH /api/servers/HOST:PORT`: any of weight, drain. */
export const ServerPatchBody = v.pipe(
  v.strictObject({ weight: v.optional(weight), drain: v.optional(v.boolean('must be true or false')) }),
  v.check((b) => b.weight !== undefined || b.drain !== undefined, 'give at least one of weight, drain'),
);

/** Every problem with a body, one line each: `path: message, got value`. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string[] {
  return problemsOf(issues).map(problemLine);
}
