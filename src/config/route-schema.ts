/** A route in a config file or `PUT /api/routes`: conditions, then a service, or a weighted split. */
import * as v from 'valibot';
import { matchers } from '../routing/matchers/registry.ts';
import { section } from './fields.ts';
import { serviceName } from './service-name.ts';
import { limitEntries } from './traffic-schema.ts';

const matchEntries = Object.fromEntries(Object.entries(matchers).map(([key, m]) => [key, v.optional(m.schema)])) as {
  [K in keyof typeof matchers]: v.OptionalSchema<(typeof matchers)[K]['schema'], undefined>;
};

const weight = v.pipe(v.number('must be a positive number'), v.finite('must be a positive number'), v.gtValue(0, 'must be a positive number'), v.maxValue(10_000, 'must be at most 10000'));

export const RouteSchema = v.pipe(
  section({
    /** Names it in stats and metrics (default: its position, from 0). */
    name: v.optional(v.pipe(v.string('must be a name'), v.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be a name (letters, digits, _ . -; up to 64)'))),
    match: v.optional(section(matchEntries)),
    service: v.optional(serviceName),
    split: v.optional(
      v.pipe(
        v.array(section({ service: serviceName, weight }), 'must be a list of {"service", "weight"}'),
        v.minLength(1, 'must list at least one service'),
      ),
    ),
    fallback: v.optional(serviceName),
    strip_prefix: v.optional(v.boolean('must be true or false')),
    ...limitEntries,
  }),
  v.check((r) => (r.service === undefined) !== (r.split === undefined), 'must name a service or a split (one of them)'),
  v.forward(v.check((r) => !(r.match?.path !== undefined && r.match?.path_prefix !== undefined), 'give path or path_prefix, not both'), ['match']),
  v.forward(v.check((r) => !r.strip_prefix || r.match?.path_prefix !== undefined, 'needs match.path_prefix'), ['strip_prefix']),
);

export type RouteInput = v.InferOutput<typeof RouteSchema>;

export const RoutesSchema = v.array(RouteSchema, 'must be a list of routes');
