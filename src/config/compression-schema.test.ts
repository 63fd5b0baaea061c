/** `compression`: off unless given, its defaults, inheritance by services, and refusals naming the field. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_COMPRESSIBLE_TYPES } from './compression-schema.ts';
import { resolveConfig } from './load.ts';

async function resolve(file: unknown) {
  const readFile = async (p: string) => {
    if (p === 'config.json') return JSON.stringify(file);
    throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
  };
  return resolveConfig({ flags: { backend: ['http://127.0.0.1:9'], config: 'config.json' }, env: {}, readFile });
}
const ok = async (file: unknown) => {
  const r = await resolve(file);
  assert.ok(r.ok && 'config' in r, JSON.stringify(r));
  return r.config;
};
const errors = async (file: unknown) => {
  const r = await resolve(file);
  assert.ok(!r.ok, JSON.stringify(r));
  return r.errors;
};

describe('compression', () => {
  it('is off unless the section is given', async () => {
    assert.equal((await ok({})).compression, null);
    assert.equal((await ok({ compression: { enabled: false } })).compression, null);
  });

  it('given empty: br then gzip, 1024 bytes, the default types', async () => {
    assert.deepEqual((await ok({ compression: {} })).compression, { encodings: ['br', 'gzip'], minBytes: 1024, types: [...DEFAULT_COMPRESSIBLE_TYPES] });
  });

  it('takes its fields (sizes with units, types in lower case)', async () => {
    assert.deepEqual((await ok({ compression: { encodings: ['gzip'], min_bytes: '2KiB', types: ['Text/HTML', 'application/*+json'] } })).compression, {
      encodings: ['gzip'],
      minBytes: 2048,
      types: ['text/html', 'application/*+json'],
    });
  });

  it('a service inherits it field by field, and may turn it off', async () => {
    const c = await ok({ compression: { min_bytes: 10 }, services: { a: { servers: [] }, b: { servers: [], compression: { encodings: ['gzip'] } }, c: { servers: [], compression: { enabled: false } } } });
    assert.deepEqual(
      c.services.map((s) => s.compression && [s.compression.encodings, s.compression.minBytes]),
      [[['br', 'gzip'], 10], [['gzip'], 10], null],
    );
    const own = await ok({ services: { a: { servers: [], compression: {} } } });
    assert.equal(own.compression, null);
    assert.equal(own.services[0].compression?.minBytes, 1024);
  });

  it('refuses bad values, naming the field', async () => {
    assert.deepEqual(await errors({ compression: { encodings: ['deflate'], min_bytes: -1, types: ['html'], level: 9 } }), [
      'config.json: compression.encodings[0]: must be one of br, gzip, got "deflate"',
      'config.json: compression.min_bytes: must be bytes (an integer ≥ 0) or a size such as "64KiB" or "1MiB", got -1',
      'config.json: compression.types[0]: must be a media type such as "text/*", "application/json" or "application/*+json", got "html"',
      'config.json: compression.level: unknown key',
    ]);
    assert.deepEqual(await errors({ compression: { encodings: [], types: ['text/event-stream'] } }), [
      'config.json: compression.encodings: must list at least one encoding, got []',
      'config.json: compression.types[0]: is never compressed: each server-sent event must reach the client when it is sent, got "text/event-stream"',
    ]);
    assert.deepEqual(await errors({ compression: { encodings: ['gzip', 'gzip'] } }), ['config.json: compression.encodings: must list each encoding once, got ["gzip","gzip"]']);
    assert.deepEqual(await errors({ compression: true }), ['config.json: compression: must be an object, got true']);
  });
});
