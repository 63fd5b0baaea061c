import { VERSION } from '../version.ts';
// The JSON Schemas of the valibot schemas that validate the bodies, generated at build time
// (scripts/build-assets.ts; a test fails when they are stale) so the Worker ships no converter.
import { NEW_SERVER_SCHEMA, SERVER_PATCH_SCHEMA } from './schemas.gen.ts';

const problem = { $ref: '#/components/schemas/Problem' };
const json = (ref: unknown, description: string) => ({ description, content: { 'application/json': { schema: ref } } });
const problemOf = (description: string) => ({ description, content: { 'application/problem+json': { schema: problem } } });
const serverId = { name: 'id', in: 'path', required: true, description: 'The server as `host:port`.', schema: { type: 'string', example: '127.0.0.1:8001' } };
const auth = [{ bearer: [] }, {}];

/**
 * The OpenAPI 3.1 document for every admin route under `prefix`. Request
 * bodies come from the same valibot schemas that validate them.
 */
export function openApi(prefix: string): Record<string, unknown> {
  const p = (path: string) => `${prefix}${path}`;
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchyard admin API',
      version: VERSION,
      description: 'Statistics, health and runtime server management. Reads are open; writes need `Authorization: Bearer TOKEN` when a token is set, else come from loopback only (at the edge, a token is always required).',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        NewServer: NEW_SERVER_SCHEMA,
        ServerPatch: SERVER_PATCH_SCHEMA,
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
    paths: {
      [p('/stats')]: { get: { summary: 'Balancer and per-server statistics', responses: { 200: json({ type: 'object' }, 'Totals, rates and `servers` keyed host:port.') } } },
      [p('/metrics')]: { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'Text exposition format 0.0.4.', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      [p('/health')]: { get: { summary: 'Liveness of the balancer: status, uptime, version', responses: { 200: json({ type: 'object' }, 'Healthy.') } } },
      [p('/servers')]: {
        get: { summary: 'List servers', responses: { 200: json({ type: 'object', properties: { servers: { type: 'array', items: { $ref: '#/components/schemas/Server' } } } }, 'Every server.') } },
        post: {
          summary: 'Add a server',
          security: auth,
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/NewServer' } } } },
          responses: { 201: json({ type: 'object' }, 'Added; applies to the next request.'), 400: problemOf('Invalid body: each bad field listed.'), 401: problemOf('Token missing.'), 403: problemOf('Token wrong, or not from loopback.'), 409: problemOf('Already there.') },
        },
      },
      [p('/servers/{id}')]: {
        patch: {
          summary: 'Change weight or drain',
          security: auth,
          parameters: [serverId],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/ServerPatch' } } } },
          responses: { 200: json({ type: 'object' }, 'Changed.'), 400: problemOf('Invalid body.'), 404: problemOf('No such server.') },
        },
        delete: { summary: 'Remove a server', security: auth, parameters: [serverId], responses: { 200: json({ type: 'object' }, 'Removed.'), 404: problemOf('No such server.') } },
      },
      [p('/health-check')]: { post: { summary: 'Run a health-check round now', security: auth, responses: { 200: json({ type: 'object' }, 'The round: checked servers, transitions, results.') } } },
      [p('/openapi.json')]: { get: { summary: 'This document', responses: { 200: json({ type: 'object' }, 'OpenAPI 3.1.') } } },
      [p('/dashboard')]: { get: { summary: 'The live dashboard (HTML)', responses: { 200: { description: 'HTML.', content: { 'text/html': { schema: { type: 'string' } } } } } } },
      [p('/docs')]: { get: { summary: 'This document as a page', responses: { 200: { description: 'HTML.', content: { 'text/html': { schema: { type: 'string' } } } } } } },
    },
  };
}
