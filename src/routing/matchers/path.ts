import * as v from 'valibot';
import type { Matcher } from '../types.ts';

const pathSchema = v.pipe(v.string('must be a path starting with /'), v.startsWith('/', 'must be a path starting with /'));

/** `match.path`: the path exactly (`/login`; the query is not part of it). */
export const path: Matcher<string> = {
  schema: pathSchema,
  compile: (value) => (r) => r.path === value,
};

/**
 * `match.path_prefix`: paths that start with it (`/api/` takes `/api/users`;
 * as with nginx's `location /api` and Traefik's PathPrefix, `/api` also takes `/apis`).
 */
export const pathPrefix: Matcher<string> = {
  schema: pathSchema,
  compile: (value) => (r) => r.path.startsWith(value),
};
