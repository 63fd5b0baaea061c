import { parseArgs } from 'node:util';

/** A usage error: printed one line per problem, exit status 2. */
export class UsageError extends Error {}

/** One flag a command takes. */
export interface FlagSpec {
  type: 'string' | 'boolean';
  /** May be given more than once (the values collect in a list). */
  multiple?: boolean;
  short?: string;
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

/**
 * The one argv parser of every command (`switchyard start` and each
 * subcommand): node:util's parseArgs tokenises (`--a b`, `--a=b`, `-h`, `--`),
 * and every problem becomes one line in one style, all of them at once:
 * `flag --x: unknown flag (see --help)`, `flag --port: needs a value`,
 * `flag --once: takes no value, got "1"`, `argument "x": unexpected; ...`.
 * `--help`/`-h` is always accepted.
 */
export function parseFlags(argv: string[], specs: Record<string, FlagSpec>, allowPositionals = false): { values: FlagValues; positionals: string[]; errors: string[] } {
  const all: Record<string, FlagSpec> = { ...specs, help: { type: 'boolean', short: 'h' } };
  // Every flag is declared boolean for tokenising, so a value is never taken for a flag's; values are paired below.
  const options = Object.fromEntries(Object.entries(all).map(([name, s]) => [name, { type: 'boolean' as const, ...(s.short ? { short: s.short } : {}) }]));
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const values: FlagValues = {};
  const positionals: string[] = [];
  const errors: string[] = [];
  const consumed = new Set<number>();
  let terminated = false;
  for (const [i, t] of tokens.entries()) {
    if (t.kind === 'option-terminator') {
      terminated = true;
      continue;
    }
    if (t.kind === 'positional') {
      if (consumed.has(i)) continue;
      if (allowPositionals) positionals.push(t.value);
      else errors.push(`argument ${JSON.stringify(t.value)}: unexpected${terminated ? '' : '; flags start with --'} (see --help)`);
      continue;
    }
    const spec = all[t.name];
    if (!spec) {
      errors.push(`flag ${t.rawName}: unknown flag (see --help)`);
      continue;
    }
    let value: string | boolean;
    if (spec.type === 'boolean') {
      if (t.inlineValue) {
        errors.push(`flag --${t.name}: takes no value, got ${JSON.stringify(t.value)}`);
        continue;
      }
      value = true;
    } else if (t.inlineValue) value = t.value ?? '';
    else {
      const next = tokens[i + 1];
      if (!next || next.kind !== 'positional') {
        errors.push(`flag --${t.name}: needs a value`);
        continue;
      }
      consumed.add(i + 1);
      value = next.value;
    }
    if (spec.multiple) ((values[t.name] ??= []) as string[]).push(value as string);
    else values[t.name] = value;
  }
  return { values, positionals, errors };
}

/** The parsed values of `S`: strings, booleans, or lists for `multiple`; absent when not given. */
export type ValuesOf<S extends Record<string, FlagSpec>> = {
  [K in keyof S]?: S[K]['type'] extends 'boolean' ? boolean : S[K]['multiple'] extends true ? string[] : string;
} & { help?: boolean };

/** Parses a subcommand's flags; any problem is a `UsageError` (one line each). */
export function flags<const S extends Record<string, FlagSpec>>(argv: string[], specs: S, positionals = false): { values: ValuesOf<S>; positionals: string[] } {
  const r = parseFlags(argv, specs, positionals);
  if (r.errors.length) throw new UsageError(r.errors.join('\n'));
  return { values: r.values as ValuesOf<S>, positionals: r.positionals };
}

/** A number flag: `name` must parse as a number within [min, max]. */
export function num(name: string, value: string | undefined, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name}: must be a number ${min}-${max}, got ${JSON.stringify(value)}`);
  return n;
}
