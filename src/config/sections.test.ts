/** Every object section of the config file and the admin bodies takes only an object. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as v from 'valibot';
import { NewServerBody, ServerPatchBody, ServiceBody } from '../api/schemas.ts';
import { problemLine, problemsOf } from './issues.ts';
import { FileSchema } from './schema.ts';
import { validateConfig } from './validate.ts';
import * as valibot from 'valibot';

type Node = v.GenericSchema & { type: string; wrapped?: Node; pipe?: Node[]; entries?: Record<string, Node>; item?: Node; value?: Node; options?: Node[] };
type Step = string | number;

const OBJECTS = new Set(['strict_object', 'object', 'loose_object', 'record']);

/** The object (or record) schema `s` stands for, looking through pipes; none for any other schema. */
function objectOf(s: Node): Node | undefined {
  if (OBJECTS.has(s.type)) return s;
  for (const item of s.pipe ?? []) if (item !== s && 'kind' in item && item.kind === 'schema') {
    const found = objectOf(item);
    if (found) return found;
  }
  return undefined;
}

/** Every path in `schema` where an object is expected, as steps from the root (a record's key is `web`). */
function objectPaths(schema: Node, at: Step[] = []): Step[][] {
  if (schema.type === 'optional') return objectPaths(schema.wrapped!, at);
  if (schema.type === 'array') return objectPaths(schema.item!, [...at, 0]);
  if (schema.type === 'union') {
    const all = schema.options!.flatMap((o) => objectPaths(o, at));
    return all.filter((p, i) => all.findIndex((q) => dotted(q) === dotted(p)) === i);
  }
  const obj = objectOf(schema);
  if (!obj) {
    const piped = schema.pipe?.find((p) => p !== schema && 'kind' in p && p.kind === 'schema' && (p.type === 'array' || p.type === 'optional' || p.type === 'union'));
    return piped ? objectPaths(piped, at) : [];
  }
  const inner = obj.type === 'record' ? objectPaths(obj.value!, [...at, 'web']) : Object.entries(obj.entries!).flatMap(([k, e]) => objectPaths(e, [...at, k]));
  return [at, ...inner];
}

const dotted = (steps: Step[]) => steps.reduce<string>((out, s) => (typeof s === 'number' ? `${out}[${s}]` : out ? `${out}.${s}` : s), '') || '(root)';

/** A value that holds `leaf` at `steps` (arrays where the step is an index). */
function placed(steps: Step[], leaf: unknown): unknown {
  if (!steps.length) return leaf;
  const [head, ...rest] = steps;
  return typeof head === 'number' ? [placed(rest, leaf)] : { [head]: placed(rest, leaf) };
}

const linesFor = (schema: v.GenericSchema, input: unknown) => {
  const r = valibot.safeParse(schema, input);
  return r.success ? [] : problemsOf(r.issues).map(problemLine);
};

describe('object sections refuse arrays, null and strings', () => {
  const paths = objectPaths(FileSchema as unknown as Node);

  it('the walk finds every section the issue names (the check is not vacuous)', () => {
    const names = new Set(paths.map(dotted));
    for (const p of ['(root)', 'load_balancer', 'admin', 'cors', 'sticky', 'health_check', 'health_check.headers', 'passive_health', 'circuit_breaker', 'retry_backoff', 'retry_budget', 'consistent_hash', 'services', 'services.web', 'services.web.sticky', 'routes[0]', 'routes[0].match', 'routes[0].match.headers', 'routes[0].match.query', 'routes[0].split[0]', 'servers[0]', 'services.web.servers[0]']) {
      assert.ok(names.has(p), `${p} not found in ${[...names].join(', ')}`);
    }
  });

  // A server is one of two object forms: the union names both. A rate limit may be a list, a concurrency cap a number.
  const RATE_LIMIT = 'must be a rate limit such as {"key": "ip", "rate": "100/s", "burst": 50}, or a list of them';
  const MAX_CONCURRENT = 'must be a number of requests per client, or {"limit": 10, "key": "ip"}';
  const messageAt = (path: string, bad: unknown) => (/rate_limit$/.test(path) ? (Array.isArray(bad) ? 'must list at least one rate limit' : RATE_LIMIT) : /max_concurrent$/.test(path) ? MAX_CONCURRENT : /servers\[0\]$/.test(path) ? 'must be {"host", "port"} or {"url"}' : path === 'services' ? 'must be an object of services by name' : /headers$/.test(path) ? 'must be an object of headers' : /query$/.test(path) ? 'must be an object of query parameters' : 'must be an object');

  for (const steps of paths) {
    const path = dotted(steps);
    for (const bad of [[], null, 'x']) {
      it(`${path}: ${JSON.stringify(bad)}`, () => {
        const r = validateConfig(placed(steps, bad), () => 'c.json');
        assert.equal(r.ok, false, `${path} took ${JSON.stringify(bad)}`);
        const want = `c.json: ${path}: ${messageAt(path, bad)}, got ${JSON.stringify(bad)}`;
        assert.ok(!r.ok && r.errors.includes(want), `${want} not in ${JSON.stringify(!r.ok && r.errors)}`);
      });
    }
  }

  it('"sticky": [] no longer turns sticky sessions on', () => {
    assert.deepEqual(validateConfig({ sticky: [] }, () => 'c.json'), { ok: false, errors: ['c.json: sticky: must be an object, got []'] });
  });
  it('an array with items is refused as a whole, not read by index', () => {
    assert.deepEqual(validateConfig({ routes: [{ service: 'default', match: { headers: ['x'] } }] }, () => 'c.json'), { ok: false, errors: ['c.json: routes[0].match.headers: must be an object of headers, got ["x"]'] });
  });
  it('an empty object is still a section with every default', () => {
    const r = validateConfig({ sticky: {}, health_check: {}, services: {} }, () => 'c.json');
    assert.ok(r.ok, JSON.stringify(r));
  });
});

describe('admin bodies refuse arrays in place of objects', () => {
  const table: Array<[string, v.GenericSchema, unknown, string]> = [
    ['a new server', NewServerBody, [], '(root): must be {"host", "port"} or {"url"}, got []'],
    ['a server change', ServerPatchBody, [], '(root): must be an object, got []'],
    ['a service', ServiceBody, [], '(root): must be an object, got []'],
    ["a service's sticky section", ServiceBody, { sticky: [] }, 'sticky: must be an object, got []'],
  ];
  for (const [name, schema, input, line] of table) it(name, () => assert.deepEqual(linesFor(schema, input), [line]));
});
