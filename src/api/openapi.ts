import { VERSION } from '../version.ts';
import { withPrefix } from './openapi-prefix.ts';

const problem = { $ref: '#/components/schemas/Problem' };
const json = (ref: unknown, description: string) => ({ description, content: { 'application/json': { schema: ref } } });
const problemOf = (description: string) => ({ description, content: { 'application/problem+json': { schema: problem } } });
const body = (name: string) => ({ required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } } });
const pathParam = (name: string, description: string, example: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string', example } });
const serverId = pathParam('id', 'The server as `host:port`.', '127.0.0.1:8001');
const service = pathParam('service', 'The service name (the top-level servers are the service `default`).', 'api');
const imageId = pathParam('image_id', "Seed 003's image id: the service's name.", '1');
const auth = [{ bearer: [] }, {}];
const ok = (description: string) => ({ 200: json({ type: 'object' }, description) });
const html = (summary: string) => ({ get: { summary, responses: { 200: { description: 'HTML.', content: { 'text/html': { schema: { type: 'string' } } } } } } });
const write = (summary: string, more: Record<string, unknown>, responses: Record<string, unknown>) => ({
  summary,
  security: auth,
  ...more,
  responses: {
    ...responses,
    401: problemOf('Token missing or wrong (a token is set): `WWW-Authenticate: Bearer realm="switchyard"`, with `error="invalid_token"` for a wrong one.'),
    403: problemOf('No token is set and the client is not on loopback (at the edge: no token is set at all), a cross-site browser write, or a host name not allowed.'),
  },
});
/** The 403 any admin route answers when no token is set and the Host is not one of the balancer's own names. */
const hostRefused = problemOf('Host name not allowed: no token is set, and Host is not localhost, 127.0.0.1, [::1], the listen address or in `admin.allowed_hosts` (DNS rebinding guard).');
const METHODS = ['get', 'put', 'post', 'patch', 'delete'];

/** The server routes of one service under `base` (`/servers` for the default service). */
function serverPaths(base: string, params: unknown[]): Record<string, unknown> {
  return {
    [base]: {
      get: { summary: 'List the servers', parameters: params, responses: { 200: json({ type: 'object', properties: { servers: { type: 'array', items: { $ref: '#/components/schemas/Server' } } } }, 'Every server.'), 404: problemOf('No such service.') } },
      post: write('Add a server', { parameters: params, requestBody: body('NewServer') }, { 201: json({ type: 'object' }, 'Added; applies to the next request.'), 400: problemOf('Invalid body: each bad field listed.'), 404: problemOf('No such service.'), 409: problemOf('Already there.') }),
    },
    [`${base}/{id}`]: {
      patch: write('Change weight or drain', { parameters: [...params, serverId], requestBody: body('ServerPatch') }, { ...ok('Changed.'), 400: problemOf('Invalid body.'), 404: problemOf('No such server.') }),
      delete: write('Remove a server', { parameters: [...params, serverId] }, { ...ok('Removed.'), 404: problemOf('No such server.') }),
    },
  };
}

/**
 * The OpenAPI 3.1 document for every admin route, paths relative to the
 * admin prefix. `bodySchemas`: the JSON Schemas of the valibot schemas that
 * validate the request bodies (by name: NewServer, Service, ...). Generated
 * into a static file at build time (scripts/build-assets.ts), which every
 * runtime serves, so no runtime ships this code or a schema converter.
 */
export function openApiDocument(bodySchemas: Record<string, Record<string, unknown>>): Record<string, unknown> {
  const paths: Record<string, unknown> = {
    '/stats': { get: { summary: 'Totals, every service with its servers, the routes with their hits, the limits with their refusals, recent events', responses: ok('`servers` (the default service’s, keyed host:port), `services` (each with its `queue` and shedding: `shed_percent`, `shed_percent_source`, `shed`), `routes`, `rate_limits` and `concurrency_limits` (each with its scope, store, how exact it is, allowed and refused), totals over every service.') } },
    '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'Text exposition format 0.0.4.', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
    '/health': { get: { summary: 'Liveness of the balancer: status, uptime, version', responses: ok('Healthy.') } },
    ...serverPaths('/servers', []),
    '/services': { get: { summary: 'List the services', responses: ok('`services`: each with its settings, figures and servers.') } },
    '/services/{service}': {
      get: { summary: 'One service', parameters: [service], responses: { ...ok('The service.'), 404: problemOf('No such service.') } },
      put: write('Create or replace a service (its servers and any setting of its own; the rest inherited)', { parameters: [service], requestBody: body('Service') }, { 200: json({ type: 'object' }, 'Replaced.'), 201: json({ type: 'object' }, 'Created.'), 400: problemOf('Invalid body: each bad field listed.') }),
      patch: write('Change a run-time setting of a service: `shed_percent` (null: back to its settings), shared by every instance', { parameters: [service], requestBody: body('ServicePatch') }, { ...ok('The service.'), 400: problemOf('Invalid body: each bad field listed.'), 404: problemOf('No such service.') }),
      delete: write('Remove a service', { parameters: [service] }, { ...ok('Removed.'), 404: problemOf('No such service.'), 409: problemOf('A route names it.') }),
    },
    ...serverPaths('/services/{service}/servers', [service]),
    '/routes': {
      get: { summary: 'The routes, in order, with their hits', responses: ok('`routes`.') },
      put: write('Replace the whole route list (validated; applied at once or not at all)', { requestBody: body('Routes') }, { ...ok('The new list.'), 400: problemOf('Invalid list: each bad field listed; nothing changed.') }),
    },
    '/health-check': { post: write('Run a health-check round of every service now', {}, ok('The round: checked servers, transitions, results per service.')) },
    '/v1/services/{image_id}/register': {
      post: write("Seed 003: register an image's containers (again: replaces the list)", { parameters: [imageId, { name: 'image_name', in: 'query', required: false, schema: { type: 'string' } }], requestBody: body('Register') }, { 200: json({ type: 'object' }, 'Replaced.'), 201: json({ type: 'object' }, 'Registered.'), 400: problemOf('Invalid containers: each bad field listed.') }),
    },
    '/v1/services': { get: { summary: 'Seed 003: every service with its containers', responses: ok('`services`.') } },
    '/v1/services/{image_id}': { get: { summary: 'Seed 003: one service', parameters: [imageId], responses: { ...ok('The service.'), 404: problemOf('No such service.') } } },
    '/v1/port-mappings': { get: { summary: 'Seed 003: every container port and the service it belongs to', responses: ok('`port_mappings`.') } },
    '/v1/health-check': { post: write('Seed 003: run a health-check round of every service now', {}, ok('The round.')) },
    '/v1/stats': { get: { summary: 'Seed 003: the statistics (as /stats)', responses: ok('Statistics.') } },
    '/v1/proxy/{image_id}/{path}': {
      summary: "Seed 003: proxy any method to the service's servers, with /{path} and the query (traffic: no admin token needed)",
      parameters: [imageId, pathParam('path', 'The rest of the path, sent to the server.', 'api/users')],
      get: { summary: 'Proxied', responses: { 200: { description: "The server's answer." }, 404: problemOf('No such service.'), 502: problemOf('The servers failed.'), 503: problemOf('No server available.') } },
    },
    '/openapi.json': { get: { summary: 'This document', responses: ok('OpenAPI 3.1.') } },
    '/dashboard': html('The live dashboard (HTML)'),
    '/docs': html('This document as a page'),
  };
  for (const [path, item] of Object.entries(paths)) {
    if (path.startsWith('/v1/proxy/')) continue; // traffic, not administration
    for (const method of METHODS) {
      const op = (item as Record<string, { responses?: Record<string, unknown> }>)[method];
      if (op?.responses) op.responses[403] ??= hostRefused;
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchyard admin API',
      version: VERSION,
      description: 'Statistics, health, services, routes and runtime server management. Reads are open; writes need `Authorization: Bearer TOKEN` when a token is set, else come from loopback only (at the edge, a token is always required). With no token set, every route answers only for the host names localhost, 127.0.0.1, [::1], the listen address and `admin.allowed_hosts`.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        ...bodySchemas,
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details.',
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            errors: { type: 'array', items: { type: 'string' }, description: 'One line per invalid field: `path: message, got value`.' },
          },
          required: ['type', 'title', 'status', 'detail'],
        },
        Server: { type: 'object', description: 'One server: id, url, weight, status, counters, latency percentiles, health, circuit.', additionalProperties: true },
      },
    },
    paths,
  };
}

/** The document for the admin API under `prefix`. */
export function openApi(prefix: string, bodySchemas: Record<string, Record<string, unknown>>): Record<string, unknown> {
  return withPrefix(openApiDocument(bodySchemas), prefix);
}
