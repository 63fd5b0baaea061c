import * as v from 'valibot';
import type { Matcher } from '../types.ts';

/** `match.methods`: any of these request methods (`["GET", "HEAD"]`, any case). */
export const methods: Matcher<string[]> = {
  schema: v.pipe(
    v.array(v.pipe(v.string('must be a method such as GET'), v.regex(/^[A-Za-z]{1,20}$/, 'must be a method such as GET')), 'must be a list of methods such as ["GET", "POST"]'),
    v.minLength(1, 'must name at least one method'),
  ),
  compile(value) {
    const set = new Set(value.map((m) => m.toUpperCase()));
    return (r) => set.has(r.method);
  },
};
