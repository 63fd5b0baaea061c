/** Command-line flags as given (values unvalidated: the schema validates them). */
export interface Flags {
  config?: string;
  servers?: string;
  backend: string[];
  algorithm?: string;
  port?: string;
  host?: string;
  'access-log'?: string;
  help?: boolean;
}

const VALUED = new Set(['config', 'servers', 'backend', 'algorithm', 'port', 'host', 'access-log']);

/** Parses `--flag value` and `--flag=value`; unknown flags and missing values are errors. */
export function parseArgs(argv: string[]): { ok: true; flags: Flags } | { ok: false; errors: string[] } {
  const flags: Flags = { backend: [] };
  const errors: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      flags.help = true;
      continue;
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) {
      errors.push(`argument ${JSON.stringify(arg)}: unexpected; flags start with -- (see --help)`);
      continue;
    }
    const name = m[1];
    if (!VALUED.has(name)) {
      errors.push(`flag --${name}: unknown flag (see --help)`);
      continue;
    }
    let value = m[2];
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        errors.push(`flag --${name}: needs a value`);
        continue;
      }
      value = next;
      i++;
    }
    if (name === 'backend') flags.backend.push(value);
    else (flags as unknown as Record<string, string>)[name] = value;
  }
  return errors.length ? { ok: false, errors } : { ok: true, flags };
}
