/**
 * The shape of the source tree, checked: no import cycles (type imports
 * included), and config/ is a leaf that imports nothing from the core.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './conformance/harness.ts';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

/** Each source file's local imports (relative paths, resolved), type-only ones included. */
function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const file of [...files(join(ROOT, 'src')), ...files(join(ROOT, 'worker'))]) {
    const text = readFileSync(file, 'utf8');
    const deps = [...text.matchAll(/^\s*(?:import|export)\b[^'";]*?\bfrom\s+['"](\.[^'"]+)['"]/gm)].map((m) => resolve(dirname(file), m[1]));
    g.set(file, deps);
  }
  return g;
}

/** Strongly connected components with more than one file (or a file importing itself): the cycles. */
function cycles(g: Map<string, string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (g.get(v) ?? []).includes(v)) out.push(scc.map((f) => relative(ROOT, f)).sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe('source tree', () => {
  const g = graph();

  it('has no import cycles', () => {
    assert.deepEqual(cycles(g), []);
  });

  it('config/ imports nothing from the core', () => {
    const core = join(ROOT, 'src/core');
    const bad = [...g].filter(([f]) => f.startsWith(join(ROOT, 'src/config'))).flatMap(([f, deps]) => deps.filter((d) => d.startsWith(core)).map((d) => `${relative(ROOT, f)} → ${relative(ROOT, d)}`));
    assert.deepEqual(bad, []);
  });

  it('finds imports at all (the check is not vacuous)', () => {
    assert.ok(g.get(join(ROOT, 'src/core/proxy.ts'))!.includes(join(ROOT, 'src/core/attempt.ts')));
  });
});
