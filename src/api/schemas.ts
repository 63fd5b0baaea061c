import * as v from 'valibot';
import { problemLine, problemsOf } from '../config/issues.ts';

const weight = v.pipe(v.number('must be a number'), v.gtValue(0, 'must be greater than 0'), v.maxValue(1000, 'must be at most 1000'));
const port = v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(1, 'must be 1-65535'), v.maxValue(65535, 'must be 1-65535'));
const common = {
  weight: v.optional(weight, 1),
  name: v.optional(v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'), v.maxLength(200, 'must be at most 200 characters'))),
  backup: v.optional(v.boolean('must be true or false'), false),
};

/** `POST /api/servers`: `{host, port}` (seed 004) or `{url}`, plus weight, name, backup. */
export const NewServerBody = v.union(
  [
    v.strictObject({
      host: v.pipe(v.string('must be a string'), v.regex(/^[A-Za-z0-9.\-:[\]]+$/, 'must be a host name or IP address')),
      port,
      ...common,
    }),
    v.strictObject({
      url: v.pipe(v.string('must be a string'), v.url('must be an absolute http(s) URL'), v.regex(/^[Hh][Tt][Tt][Pp][Ss]?:\/\//, 'must start with http:// or https://')),
      ...common,
    }),
  ],
  'must be {host, port} or {url}',
);

/** `PATCH /api/servers/HOST:PORT`: any of weight, drain. */
export const ServerPatchBody = v.pipe(
  v.strictObject({ weight: v.optional(weight), drain: v.optional(v.boolean('must be true or false')) }),
  v.check((b) => b.weight !== undefined || b.drain !== undefined, 'give at least one of weight, drain'),
);

/** Every problem with a body, one line each: `path: message, got value`. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string[] {
  return problemsOf(issues).map(problemLine);
}
