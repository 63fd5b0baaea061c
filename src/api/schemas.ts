import * as v from 'valibot';
import { problemLine, problemsOf } from '../config/issues.ts';
import { RoutesSchema } from '../config/route-schema.ts';
import { caFileConfigOnly } from '../config/backend-tls.ts';
import { ServiceSchema } from '../config/schema.ts';
import { section } from '../config/fields.ts';
import { maxConns, ServerSchema, serverHost, weight } from '../config/server.ts';

/** `POST /api/servers`: the same server schema as the config file's `servers`. */
export const NewServerBody = ServerSchema;

/** `PATCH /api/servers/HOST:PORT`: any of weight, drain, max_conns (0: no cap). */
export const ServerPatchBody = v.pipe(
  section({ weight: v.optional(weight), drain: v.optional(v.boolean('must be true or false')), max_conns: v.optional(maxConns) }),
  v.check((b) => b.weight !== undefined || b.drain !== undefined || b.max_conns !== undefined, 'give at least one of weight, drain, max_conns'),
);

/** `PATCH /api/services/NAME`: `shed_percent`, a percentage 0-100, or null to go back to the service's settings. */
const shedPercentOrNull = 'must be a percentage 0-100, or null for the service\'s settings';
export const ServicePatchBody = section({
  shed_percent: v.nullable(v.pipe(v.number(shedPercentOrNull), v.minValue(0, shedPercentOrNull), v.maxValue(100, shedPercentOrNull))),
});

/** `PUT /api/services/NAME`: the same as a service in the config file's `services`, but no `tls.ca_file` (files are the config file's). */
export const ServiceBody = v.pipe(ServiceSchema, caFileConfigOnly<v.InferOutput<typeof ServiceSchema>>());

/** `PUT /api/routes`: the whole list, as the config file's `routes`. */
export const RoutesBody = RoutesSchema;

/** Seed 003's container, as its orchestrator registers it (`host` is ours: where the port is published). */
export const ContainerSchema = section({
  container_id: v.pipe(v.union([v.string(), v.number()], 'must be a string'), v.transform(String), v.minLength(1, 'must not be empty')),
  name: v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'), v.maxLength(200, 'must be at most 200 characters')),
  port: v.pipe(v.number('must be an integer 1-65535'), v.integer('must be an integer 1-65535'), v.minValue(1, 'must be an integer 1-65535'), v.maxValue(65535, 'must be an integer 1-65535')),
  image_id: v.pipe(v.union([v.string(), v.number()], 'must be the image id'), v.transform(String)),
  status: v.optional(v.pipe(v.string('must be a string'), v.maxLength(64, 'must be at most 64 characters')), 'running'),
  host: v.optional(serverHost, '127.0.0.1'),
});

/** `POST /api/v1/services/{image_id}/register`: the image's containers. */
export const RegisterBody = v.pipe(v.array(ContainerSchema, 'must be a list of containers'), v.maxLength(1000, 'must list at most 1000 containers'));

/** Every problem with a body, one line each: `path: message, got value`. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string[] {
  return problemsOf(issues).map(problemLine);
}
