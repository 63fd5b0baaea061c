import * as v from 'valibot';
import type { Matcher } from '../types.ts';

/**
 * `match.host`: an exact host name (`api.example.com`, any case, port
 * ignored), or `*.example.com` for any name under example.com (any depth, not
 * example.com itself), as nginx's `server_name` wildcard.
 */
export const host: Matcher<string> = {
  schema: v.pipe(
    v.string('must be a host name such as api.example.com or *.example.com'),
    v.regex(/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/, 'must be a host name such as api.example.com or *.example.com'),
  ),
  compile(value) {
    const want = value.toLowerCase();
    if (want.startsWith('*.')) {
      const suffix = want.slice(1);
      return (r) => r.host.endsWith(suffix) && r.host.length > suffix.length;
    }
    return (r) => r.host === want;
  },
};
