import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfigOrExit } from './config.ts';

class Exit extends Error {
  code: number;
  constructor(code: number) {
    super(`exit ${code}`);
    this.code = code;
  }
}

/** Runs loadConfigOrExit with in-memory files; the exit code and the lines written. */
async function run(argv: string[], readFile: (path: string) => Promise<string>): Promise<{ code: number | undefined; lines: string[] }> {
  const lines: string[] = [];
  try {
    await loadConfigOrExit(argv, {}, readFile, (l) => lines.push(l), (code) => {
      throw new Exit(code);
    });
    return { code: undefined, lines };
  } catch (e) {
    if (e instanceof Exit) return { code: e.code, lines };
    throw e;
  }
}

describe('loadConfigOrExit', () => {
  it('a bad file is one line per problem and exit 2', async () => {
    const r = await run(['--config', 'c.json'], async () => '{"sticky": []}');
    assert.deepEqual(r, { code: 2, lines: ['c.json: sticky: must be an object, got []'] });
  });
  it('an error resolving did not foresee is one line and exit 2, never an exception', async () => {
    // A reader that hands back something no file read gives: the parser fails on it.
    const r = await run(['--config', 'c.json'], async () => ({ length: 1 }) as unknown as string);
    assert.equal(r.code, 2);
    assert.equal(r.lines.length, 1);
    assert.match(r.lines[0], /^cannot load the configuration: TypeError: /);
  });
  it('a rate limit whose store this runtime has not is a config error naming the field: exit 2', async () => {
    const file = JSON.stringify({
      servers: [{ url: 'http://127.0.0.1:9' }],
      rate_limit: { rate: '100/m', store: 'edge' },
      services: { api: { servers: [{ url: 'http://127.0.0.1:9' }], rate_limit: [{ rate: '1/s' }, { rate: '1/s', store: 'durable_object' }] } },
    });
    const r = await run(['--config', 'config.json'], async () => file);
    assert.equal(r.code, 2);
    assert.deepEqual(r.lines, [
      'config.json: rate_limit.store: "edge" needs the SWITCHYARD_RATE_LIMIT rate-limit binding (Cloudflare Workers; declared in wrangler.toml [[ratelimits]])',
      'config.json: services.api.rate_limit[1].store: "durable_object" needs the SWITCHYARD_RATE_LIMITER Durable Object binding (Cloudflare Workers; declared in wrangler.toml)',
    ]);
  });
  it('a good file resolves without exiting', async () => {
    const r = await run(['--config', 'c.json'], async () => '{"servers": [{"url": "http://127.0.0.1:9"}]}');
    assert.deepEqual(r, { code: undefined, lines: [] });
  });
});
