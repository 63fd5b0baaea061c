/** Field rules shared by the config schemas: integers, durations, sizes, percentages. */
import * as v from 'valibot';
import { parseBytes, parseDuration } from './duration.ts';

export { isRegex } from '../routing/text.ts';

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * `schema` (an object or record schema) taking only a JSON object: an array,
 * null, a string or a number is `must be an object` (`message`). Valibot's
 * own object schemas take an array as an object with no keys.
 */
export const objectOnly = <S extends v.GenericSchema>(schema: S, message = 'must be an object') => v.pipe(v.custom<v.InferInput<S>>(isObject, message), schema);

/** A section of a config file or body: exactly these keys, each as given; anything but an object is `must be an object`. */
export const section = <const E extends v.ObjectEntries>(entries: E) => objectOnly(v.strictObject(entries, 'must be an object'));

export const integer = (min: number, max: number, what = `an integer ${min}-${max}`) =>
  v.pipe(v.number(`must be ${what}`), v.integer(`must be ${what}`), v.minValue(min, `must be ${what}`), v.maxValue(max, `must be ${what}`));

/** Seconds as a number (`0.5`) or a string with a unit (`"500ms"`, `"10s"`); out: milliseconds. */
export const duration = v.pipe(
  v.union([v.number(), v.string()], 'must be seconds (a number) or a duration such as "500ms" or "10s"'),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const ms = parseDuration(dataset.value);
    if (ms === undefined) {
      addIssue({ message: 'must be seconds (a number ≥ 0) or a duration such as "500ms" or "10s"' });
      return NEVER;
    }
    return ms;
  }),
);

export const positiveDuration = v.pipe(duration, v.minValue(1, 'must be more than 0'));

export const bytes = v.pipe(
  v.union([v.number(), v.string()], 'must be bytes (an integer) or a size such as "64KiB"'),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const n = parseBytes(dataset.value);
    if (n === undefined) {
      addIssue({ message: 'must be bytes (an integer ≥ 0) or a size such as "64KiB" or "1MiB"' });
      return NEVER;
    }
    return n;
  }),
);

/** `200`, `"200-399"`, or a list of either; out: inclusive ranges. */
export const expectedStatus = v.pipe(
  v.union([v.number(), v.string(), v.array(v.union([v.number(), v.string()]))], 'must be a status, a range such as "200-399", or a list of them'),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const items = Array.isArray(dataset.value) ? dataset.value : [dataset.value];
    const ranges: Array<[number, number]> = [];
    for (const item of items) {
      const m = /^\s*(\d{3})\s*(?:-\s*(\d{3}))?\s*$/.exec(String(item));
      const lo = m ? Number(m[1]) : NaN;
      const hi = m?.[2] ? Number(m[2]) : lo;
      if (!m || lo < 100 || hi > 599 || lo > hi) {
        addIssue({ message: 'must be a status 100-599 or a range such as "200-399"' });
        return NEVER;
      }
      ranges.push([lo, hi]);
    }
    return ranges;
  }),
);

export const hashKey = v.pipe(
  v.string('must be a string'),
  v.regex(/^(path|uri|ip|(header|cookie|query):[^\s:]+)$/, 'must be path, uri, ip, header:NAME, cookie:NAME or query:NAME'),
);

/** A percentage 0-100 (fractions allowed). */
export const percent = v.pipe(v.number('must be a percentage 0-100'), v.minValue(0, 'must be a percentage 0-100'), v.maxValue(100, 'must be a percentage 0-100'));
