import type { Matcher } from '../types.ts';
import { headers } from './headers.ts';
import { host } from './host.ts';
import { methods } from './methods.ts';
import { path, pathPrefix } from './path.ts';
import { query } from './query.ts';

/**
 * Every route condition by its config key (`match.KEY`): the one place a
 * matcher is listed. The route schema and the route table are built from it;
 * a route's conditions must all hold.
 */
export const matchers = {
  host,
  path,
  path_prefix: pathPrefix,
  methods,
  headers,
  query,
  // Each value type differs; the map keeps each one (RouteMatch below).
} satisfies Record<string, Matcher<any>>;

/** A route's `match` as validated: a value for any of the matchers. */
export type RouteMatch = { [K in keyof typeof matchers]?: (typeof matchers)[K] extends Matcher<infer V> ? V : never };
