/**
 * Stands in for `node:test` inside workerd, which has no test runner: the
 * store-contract worker is bundled with `node:test` resolved to this file, so
 * `runStoreTests` registers its cases here unchanged, and the Durable Object
 * runs them one by one when asked over RPC. Only what the contract uses is
 * supported; a hook fails loudly rather than being skipped.
 */
type Fn = () => unknown | Promise<unknown>;

/** Every `it` registered, named as node:test would show it (suite names dropped). */
export const registered: Array<{ name: string; fn: Fn }> = [];

export function describe(_name: string, fn: () => void): void {
  fn();
}

export function it(name: string, fn: Fn): void {
  registered.push({ name, fn });
}

export const test = it;

function unsupported(hook: string): () => never {
  return () => {
    throw new Error(`${hook}() is not supported by the workerd test collector: run the case's setup inside it`);
  };
}

export const before = unsupported('before');
export const after = unsupported('after');
export const beforeEach = unsupported('beforeEach');
export const afterEach = unsupported('afterEach');
