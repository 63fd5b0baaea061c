import { parseFlags } from '../cli/args.ts';
import type { Config } from '../config/types.ts';
import { START_FLAGS, type Flags } from '../config/flags.ts';
import { resolveConfig, type Resolved } from '../config/load.ts';
import { rateLimitStoreProblems } from '../traffic/stores.ts';

/** The configuration from a command line, the environment and files: flags parsed, then flags > env > file > defaults. */
export async function resolveArgv(argv: string[], env: Record<string, string | undefined>, readFile: (path: string) => Promise<string>): Promise<Resolved> {
  const parsed = parseFlags(argv, START_FLAGS);
  if (parsed.errors.length) return { ok: false, errors: parsed.errors };
  const flags = { ...parsed.values, backend: parsed.values.backend ?? [] } as Flags;
  return resolveConfig({ flags, env, readFile });
}

/**
 * Resolves the configuration for an entry, or ends the process: `--help`
 * prints the help (through `print`) and exits 0; bad input writes one line per
 * problem (through `write`) and exits 2, as does a rate limit whose store
 * this runtime cannot offer (no Workers bindings here). Whatever the input, it never lets an
 * error escape: one that resolving did not foresee is one line, exit 2 too.
 */
export async function loadConfigOrExit(
  argv: string[],
  env: Record<string, string | undefined>,
  readFile: (path: string) => Promise<string>,
  write: (line: string) => void,
  exit: (code: number) => never,
  print: (text: string) => void = write,
): Promise<{ config: Config; demo: boolean }> {
  let r: Resolved;
  try {
    r = await resolveArgv(argv, env, readFile);
  } catch (e) {
    write(`cannot load the configuration: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    return exit(2);
  }
  if (r.ok && 'help' in r) {
    print(r.help);
    return exit(0);
  }
  if (!r.ok) {
    for (const line of r.errors) write(line);
    return exit(2);
  }
  // Rate limits only come from the file: a store this runtime has not (edge, durable_object) is its error.
  const stores = rateLimitStoreProblems(r.config);
  if (stores.length) {
    const file = parseFlags(argv, START_FLAGS).values.config ?? env.LB_CONFIG ?? 'config';
    for (const line of stores) write(`${file}: ${line}`);
    return exit(2);
  }
  return { config: r.config, demo: r.demo };
}
