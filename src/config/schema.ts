import * as v from 'valibot';
import { algorithmNames } from '../policies/registry.ts';
import { storeNames } from '../storage/registry.ts';
import { bytes, integer, objectOnly, positiveDuration, section } from './fields.ts';
import { poolEntries } from './pool-schema.ts';
import { RoutesSchema } from './route-schema.ts';
import { ServerSchema, serverHost } from './server.ts';
import { serviceName } from './service-name.ts';
import { limitEntries } from './traffic-schema.ts';
import { SslSchema } from './tls-schema.ts';

const names = algorithmNames.join(', ');
const algorithm = v.picklist(algorithmNames, `must be one of ${names}`);

/** One service: its servers and any pool setting of its own (the rest it inherits from the top level). */
export const ServiceSchema = section({
  servers: v.optional(v.array(ServerSchema, 'must be a list of servers')),
  algorithm: v.optional(algorithm),
  ...poolEntries,
  ...limitEntries,
});

export type ServiceInput = v.InferOutput<typeof ServiceSchema>;

/** The whole config file (seed 004's format, extended). Every section optional; unknown keys rejected. */
export const FileSchema = section({
  load_balancer: v.optional(
    section({
      host: v.optional(serverHost),
      port: v.optional(integer(0, 65535, 'an integer 0-65535 (0: any free port)')),
      algorithm: v.optional(algorithm),
      header_timeout: v.optional(positiveDuration),
      idle_timeout: v.optional(positiveDuration),
      max_connections: v.optional(integer(1, 1_000_000, 'an integer 1-1000000')),
      max_body: v.optional(bytes),
      ssl: v.optional(SslSchema),
    }),
  ),
  servers: v.optional(v.array(ServerSchema, 'must be a list of servers')),
  ...poolEntries,
  ...limitEntries,
  served_by_header: v.optional(
    v.union([v.literal(false), v.pipe(v.string(), v.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]*$/, 'must be a header name'))], 'must be a header name, "" or false'),
  ),
  admin: v.optional(
    section({
      prefix: v.optional(v.pipe(v.string('must be a path'), v.regex(/^\/[A-Za-z0-9._~\-/]*$/, 'must be a path such as /api'))),
      token: v.optional(v.pipe(v.string('must be a string'), v.minLength(8, 'must be at least 8 characters'))),
      allowed_hosts: v.optional(
        v.array(v.pipe(v.string('must be a host name such as lb.internal'), v.regex(/^[A-Za-z0-9.\-_]+$|^\[[0-9A-Fa-f:.]+\]$/, 'must be a host name such as lb.internal, without a port')), 'must be a list of host names'),
      ),
    }),
  ),
  access_log: v.optional(v.picklist(['off', 'json', 'combined'], 'must be one of off, json, combined')),
  cors: v.optional(
    section({
      origins: v.array(v.pipe(v.string('must be an origin such as https://ops.example.com, or *'), v.regex(/^(\*|https?:\/\/[^/\s]+)$/, 'must be an origin such as https://ops.example.com, or *')), 'must be a list of origins'),
    }),
  ),
  storage: v.optional(v.picklist(storeNames, `must be one of ${storeNames.join(', ')}`)),
  services: v.optional(objectOnly(v.record(serviceName, ServiceSchema, 'must be an object of services by name'), 'must be an object of services by name')),
  routes: v.optional(RoutesSchema),
  log_level: v.optional(v.picklist(['debug', 'info', 'warn', 'error', 'silent'], 'must be one of debug, info, warn, error, silent')),
});

export type FileInput = v.InferInput<typeof FileSchema>;
export type FileOutput = v.InferOutput<typeof FileSchema>;
