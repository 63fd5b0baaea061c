import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testConfig } from '../../test/fixtures/config.ts';
import { createApp } from '../app.ts';
import { undiciTransport } from '../transport/undici.ts';
import { docsPage } from './docs.ts';
import { bodySchemas } from '../../scripts/build-assets.ts';
import { openApi as openApiOf } from './openapi.ts';

const openApi = (prefix: string) => openApiOf(prefix, bodySchemas());

describe('OpenAPI', () => {
  it('documents every admin route the app serves, under the admin prefix', () => {
    const { app } = createApp({ config: testConfig([], { admin: { prefix: '/_lb', allowedHosts: [] } }), transport: undiciTransport(), clientIp: () => '127.0.0.1' });
    const doc = openApi('/_lb') as { paths: Record<string, Record<string, unknown>> };
    const served = app.routes
      .filter((r) => r.path.startsWith('/_lb/') && !r.path.endsWith('*') && r.method !== 'ALL')
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([a-z_]+)/g, '{$1}')}`);
    assert.ok(served.length > 20, `found ${served.length} routes`);
    const missing = served.filter((r) => {
      const [method, path] = r.split(' ');
      return !doc.paths[path]?.[method];
    });
    assert.deepEqual(missing, []);
    assert.ok(doc.paths['/_lb/v1/proxy/{image_id}/{path}'], "seed 003's proxy is documented too");
  });

  it('documents the 401 challenge on every write and the host-name 403 on every admin route', () => {
    const doc = openApi('/api') as { paths: Record<string, Record<string, { security?: unknown; responses?: Record<string, { description: string }> }>> };
    let writes = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!op.responses) continue;
        if (path.startsWith('/api/v1/proxy/')) {
          assert.equal(op.responses[403], undefined, 'the gateway is traffic');
          continue;
        }
        assert.match(op.responses[403]?.description ?? '', /host name not allowed/i, `${method} ${path}`);
        if (op.security) {
          writes++;
          assert.match(op.responses[401]?.description ?? '', /WWW-Authenticate: Bearer realm="switchyard".*invalid_token/, `${method} ${path}`);
        }
      }
    }
    assert.ok(writes > 8, `${writes} writes`);
  });

  it('renders as a page listing every operation', () => {
    const html = docsPage(openApi('/api') as Parameters<typeof docsPage>[0]);
    for (const route of ['/api/services/{service}', '/api/routes', '/api/v1/services/{image_id}/register']) assert.ok(html.includes(`<code>${route}</code>`), route);
  });
});
