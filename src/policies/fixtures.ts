/** Helpers for policy tests: backends, contexts, a seeded random and a settable load. */
import type { Backend } from '../core/types.ts';
import type { LoadView, PickContext, PolicyOptions } from './types.ts';
import { nodeDigest } from '../runtime/hashes.ts';

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function backend(i: number, weight = 1): Backend {
  const id = `10.0.0.${i}:80`;
  return { id, url: `http://${id}`, host: `10.0.0.${i}`, port: 80, name: `s${i}`, weight, backup: false, maxConns: 0 };
}

export function backends(weights: number[]): Backend[] {
  return weights.map((w, i) => backend(i + 1, w));
}

export function ctx(path = '/', ip = '192.0.2.1', headers: Record<string, string> = {}): PickContext {
  const url = new URL(`http://lb${path}`);
  return { request: new Request(url, { headers }), url, clientIp: ip };
}

/** A LoadView whose figures a test sets. */
export class FakeLoad implements LoadView {
  flights = new Map<string, number>();
  latencies = new Map<string, number>();
  waiting = new Map<string, number>();
  inFlight(id: string): number {
    return this.flights.get(id) ?? 0;
  }
  latencyMs(id: string): number | undefined {
    return this.latencies.get(id);
  }
  awaiting(id: string): number {
    return this.waiting.get(id) ?? 0;
  }
}

export function options(over: Partial<PolicyOptions> = {}, seed = 42): PolicyOptions {
  return {
    load: new FakeLoad(),
    random: seeded(seed),
    digest: nodeDigest,
    hash: { virtualNodes: 150, hashFunction: 'fnv1a', key: 'path' },
    maglevTableSize: 65537,
    ...over,
  };
}

export const always = () => true;
