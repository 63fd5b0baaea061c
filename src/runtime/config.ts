import type { Config } from '../config/types.ts';
import { resolveConfig } from '../config/load.ts';

/**
 * Resolves the configuration for an entry, or ends the process: `--help`
 * prints the help (through `print`) and exits 0; bad input writes one line per
 * problem (through `write`) and exits 2.
 */
export async function loadConfigOrExit(
  argv: string[],
  env: Record<string, string | undefined>,
  readFile: (path: string) => Promise<string>,
  write: (line: string) => void,
  exit: (code: number) => never,
  print: (text: string) => void = write,
): Promise<{ config: Config; demo: boolean }> {
  const r = await resolveConfig({ argv, env, readFile });
  if (r.ok && 'help' in r) {
    print(r.help);
    return exit(0);
  }
  if (!r.ok) {
    for (const line of r.errors) write(line);
    return exit(2);
  }
  return { config: r.config, demo: r.demo };
}
