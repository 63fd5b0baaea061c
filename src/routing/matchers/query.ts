import * as v from 'valibot';
import { textTest } from '../text.ts';
import type { Matcher } from '../types.ts';
import { nameValues } from './headers.ts';

/** `match.query`: every named query parameter present with that value (exact, or `/regex/flags`). */
export const query: Matcher<Record<string, string>> = {
  schema: nameValues('query parameters', v.pipe(v.string(), v.minLength(1, 'must be a parameter name'))),
  compile(value) {
    const tests = Object.entries(value).map(([name, expected]) => [name, textTest(expected)] as const);
    return (r) =>
      tests.every(([name, test]) => {
        const got = r.url.searchParams.get(name);
        return got !== null && test(got);
      });
  },
};
