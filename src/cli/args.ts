import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A usage error: printed as one line, exit status 2. */
export class UsageError extends Error {}

/**
 * Parses subcommand flags strictly (unknown flags and missing values are
 * `UsageError`s, one line each, as node:util words them).
 */
export function flags<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, positionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: positionals });
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]);
  }
}

/** A number flag: `name` must parse as a number within [min, max]. */
export function num(name: string, value: string | undefined, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name}: must be a number ${min}-${max}, got ${JSON.stringify(value)}`);
  return n;
}
