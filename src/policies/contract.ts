/**
 * The contract every selection policy passes: it never returns a refused
 * backend, finds an accepted one whenever one exists, and (where weights set
 * shares) gives each backend its share.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Backend } from '../core/types.ts';
import { always, backends, ctx, options, seeded } from './fixtures.ts';
import type { PickContext, PolicyFactory } from './types.ts';

export interface PolicyExpectations {
  /** How requests vary between picks: by path (hash policies), client IP, or not at all. */
  varyBy: 'none' | 'path' | 'ip';
  /** Largest allowed gap between a backend's share and its weight's share, over many picks; omit where shares follow load, not weight. */
  shareTolerance?: number;
}

/** The i-th of many distinct requests. */
export function nthRequest(i: number, varyBy: PolicyExpectations['varyBy']): PickContext {
  if (varyBy === 'path') return ctx(`/item/${i}`);
  if (varyBy === 'ip') return ctx('/', `198.51.${(i >> 8) & 255}.${i & 255}`);
  return ctx('/');
}

export function runPolicyTests(name: string, factory: PolicyFactory, exp: PolicyExpectations): void {
  describe(`SelectionPolicy contract: ${name}`, () => {
    it('returns undefined for an empty list and when every backend is refused', () => {
      assert.equal(factory([], options()).pick(ctx(), always), undefined);
      const p = factory(backends([1, 2, 3]), options());
      for (let i = 0; i < 20; i++) assert.equal(p.pick(nthRequest(i, exp.varyBy), () => false), undefined);
    });

    it('never returns a refused backend, and finds an accepted one whenever one exists', () => {
      const list = backends([1, 2, 3, 1, 5, 2, 1, 4]);
      const p = factory(list, options());
      const rnd = seeded(7);
      for (let i = 0; i < 2000; i++) {
        const refused = new Set(list.filter(() => rnd() < 0.6));
        const picked = p.pick(nthRequest(i, exp.varyBy), (b) => !refused.has(b));
        if (refused.size === list.length) assert.equal(picked, undefined);
        else {
          assert.ok(picked, `nothing picked with ${list.length - refused.size} accepted`);
          assert.ok(!refused.has(picked), `picked refused ${picked.id}`);
        }
      }
    });

    it('a down backend is never picked while the others keep serving', () => {
      const list = backends([1, 1, 2]);
      const p = factory(list, options());
      const down = list[2];
      const counts = new Map<Backend, number>();
      for (let i = 0; i < 3000; i++) {
        const b = p.pick(nthRequest(i, exp.varyBy), (x) => x !== down)!;
        counts.set(b, (counts.get(b) ?? 0) + 1);
      }
      assert.equal(counts.get(down), undefined);
      if (exp.varyBy !== 'none' || exp.shareTolerance !== undefined) assert.equal(counts.size, 2, 'both others serve');
    });

    if (exp.shareTolerance !== undefined) {
      const tol = exp.shareTolerance;
      it(`gives each backend its weight's share within ±${tol * 100}% (points) over 20,000 picks`, () => {
        const weights = [1, 2, 3, 4];
        const list = backends(weights);
        const p = factory(list, options());
        const counts = new Map<string, number>();
        const n = 20_000;
        for (let i = 0; i < n; i++) {
          const b = p.pick(nthRequest(i, exp.varyBy), always)!;
          counts.set(b.id, (counts.get(b.id) ?? 0) + 1);
        }
        const total = weights.reduce((x, y) => x + y, 0);
        for (const b of list) {
          const share = (counts.get(b.id) ?? 0) / n;
          assert.ok(Math.abs(share - b.weight / total) <= tol, `${b.id}: share ${share.toFixed(3)} vs ${(b.weight / total).toFixed(3)}`);
        }
      });
    }
  });
}

/**
 * For hash policies: marking a backend refused moves only its keys; and, for
 * policies consistent under list changes (`consistent` given), removing it from the
 * list moves at most `removeExtra` of the other keys and adding one moves
 * about 1/(n+1) of keys (within `addTolerance`).
 */
export function runStabilityTests(name: string, factory: PolicyFactory, varyBy: 'path' | 'ip', consistent?: { removeExtra: number; addTolerance: number }): void {
  describe(`key stability: ${name}`, () => {
    const keys = 5000;
    const assign = (list: Backend[], accept: (b: Backend) => boolean = always) => {
      const p = factory(list, options());
      return Array.from({ length: keys }, (_, i) => p.pick(nthRequest(i, varyBy), accept)!.id);
    };
    const list = backends([1, 1, 1, 1, 1]);
    const before = assign(list);

    it('a refused backend loses only its own keys', () => {
      const gone = list[2];
      const after = assign(list, (b) => b !== gone);
      for (let i = 0; i < keys; i++) if (before[i] !== gone.id) assert.equal(after[i], before[i], `key ${i} moved`);
    });

    if (!consistent) return;
    const { removeExtra, addTolerance } = consistent;
    it(`removing a backend moves at most ${removeExtra * 100}% of the other keys`, () => {
      const gone = list[2];
      const after = assign(list.filter((b) => b !== gone));
      let moved = 0;
      let others = 0;
      for (let i = 0; i < keys; i++) {
        if (before[i] === gone.id) continue;
        others++;
        if (after[i] !== before[i]) moved++;
      }
      assert.ok(moved / others <= removeExtra, `${moved} of ${others} moved`);
    });

    it(`adding a sixth backend moves about 1/6 of the keys (±${addTolerance * 100}%)`, () => {
      const after = assign([...list, ...backends([1, 1, 1, 1, 1, 1]).slice(5)]);
      let moved = 0;
      for (let i = 0; i < keys; i++) if (after[i] !== before[i]) moved++;
      assert.ok(Math.abs(moved / keys - 1 / 6) <= addTolerance, `${moved} of ${keys} moved`);
    });
  });
}
