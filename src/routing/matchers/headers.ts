import * as v from 'valibot';
import { objectOnly } from '../../config/fields.ts';
import { isRegex, textTest } from '../text.ts';
import type { Matcher } from '../types.ts';

/** A `{name: value}` map where each value is exact or `/regex/flags`. */
export const nameValues = (what: string, name: v.GenericSchema<string, string>) =>
  v.pipe(
    objectOnly(v.record(name, v.pipe(v.string('must be a value, or a /regular expression/'), v.check((s) => !/^\/.*\/[a-z]*$/s.test(s) || isRegex(s), 'must be a valid /regular expression/')), `must be an object of ${what}`), `must be an object of ${what}`),
    v.check((o) => Object.keys(o).length > 0, `must name at least one ${what.replace(/s$/, '')}`),
  );

/** `match.headers`: every named request header present with that value (exact, or `/regex/flags`). */
export const headers: Matcher<Record<string, string>> = {
  schema: nameValues('headers', v.pipe(v.string(), v.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be a header name'))),
  compile(value) {
    const tests = Object.entries(value).map(([name, expected]) => [name.toLowerCase(), textTest(expected)] as const);
    return (r) =>
      tests.every(([name, test]) => {
        const got = r.headers.get(name);
        return got !== null && test(got);
      });
  },
};
