/** Generated files (dashboard assets, API JSON Schemas) match their sources. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generate } from '../scripts/build-assets.ts';
import { ROOT } from './conformance/harness.ts';

describe('generated files are up to date (npm run build:assets)', () => {
  it('every generated file equals a fresh generation', async () => {
    for (const [path, text] of Object.entries(await generate())) {
      assert.equal(readFileSync(join(ROOT, path), 'utf8'), text, `${path} is stale: run npm run build:assets`);
    }
  });
});
