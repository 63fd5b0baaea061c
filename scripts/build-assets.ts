/**
 * Generates the admin API's static files in src/dashboard/public/: the
 * dashboard (dashboard.html: uPlot and the minified client inlined) and the
 * OpenAPI document (openapi.json: request bodies as the JSON Schemas of the
 * valibot schemas that validate them). Every runtime serves these files (the
 * Worker from its static assets), so none bundles the page, the document or a
 * schema converter. `--check` fails when the files are stale.
 */
import { toJsonSchema } from '@valibot/to-json-schema';
import { transform } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NewServerBody, RegisterBody, RoutesBody, ServerPatchBody, ServiceBody, ServicePatchBody } from '../src/api/schemas.ts';
import { docsPage } from '../src/api/docs.ts';
import { openApiDocument } from '../src/api/openapi.ts';
import { PREFIX_TOKEN, withPrefix } from '../src/api/openapi-prefix.ts';
import { dashboardPage } from '../src/dashboard/page.ts';

/** The dashboard as one file: read by the Node, Bun and Deno processes, served from Workers static assets at the edge. */
export const DASHBOARD_FILE = 'src/dashboard/public/dashboard.html';

/** The OpenAPI document (paths relative to the admin prefix), served the same way. */
export const OPENAPI_FILE = 'src/dashboard/public/openapi.json';

/** The docs page (the OpenAPI document as HTML), the admin prefix as a token replaced when served. */
export const DOCS_FILE = 'src/dashboard/public/docs.html';

/** The JSON Schemas of the valibot schemas that validate the admin API's bodies, by the name OpenAPI gives them. */
export function bodySchemas(): Record<string, Record<string, unknown>> {
  const schema = (s: Parameters<typeof toJsonSchema>[0]) => {
    const { $schema: _drop, ...rest } = toJsonSchema(s, { errorMode: 'ignore' }) as Record<string, unknown>;
    return rest;
  };
  return { NewServer: schema(NewServerBody), ServerPatch: schema(ServerPatchBody), Service: schema(ServiceBody), ServicePatch: schema(ServicePatchBody), Routes: schema(RoutesBody), Register: schema(RegisterBody) };
}

const ROOT = resolve(import.meta.dirname, '..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

export async function generate(): Promise<Record<string, string>> {
  const client = (await transform(read('src/dashboard/client.js'), { minify: true, target: 'es2020' })).code;
  const traffic = (await transform(read('src/dashboard/traffic.js'), { minify: true, target: 'es2020' })).code;
  const uplotJs = read('node_modules/uplot/dist/uPlot.iife.min.js');
  const uplotCss = read('node_modules/uplot/dist/uPlot.min.css');
  return {
    [DASHBOARD_FILE]: dashboardPage({ uplotJs, uplotCss, clientJs: client.trim(), trafficJs: traffic.trim() }),
    [OPENAPI_FILE]: `${JSON.stringify(openApiDocument(bodySchemas()))}\n`,
    [DOCS_FILE]: docsPage(withPrefix(openApiDocument(bodySchemas()), PREFIX_TOKEN) as Parameters<typeof docsPage>[0]),
  };
}

if (import.meta.main ?? process.argv[1]?.endsWith('build-assets.ts')) {
  const files = await generate();
  const check = process.argv.includes('--check');
  let stale = false;
  for (const [path, text] of Object.entries(files)) {
    let current = '';
    try {
      current = read(path);
    } catch {}
    if (current === text) continue;
    stale = true;
    if (!check) writeFileSync(join(ROOT, path), text);
    console.log(`${check ? 'stale' : 'wrote'} ${path}`);
  }
  if (check && stale) process.exit(1);
}
