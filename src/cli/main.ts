/**
 * `switchyard` — one command, subcommands: start, demo, monitor, loadtest, backend.
 * Bad flags print one line and exit 2; every subcommand has --help.
 */
import process from 'node:process';
import { UsageError } from './args.ts';

export const HELP = `Usage: switchyard <command> [flags]

Commands:
  start      run the balancer (what npm start runs); flags as in "switchyard start --help"
  demo       three demo backends and a balancer in front of them
  monitor    live terminal table of the balancer's stats; add-server, remove-server, drain
  loadtest   send load, then print req/s, latency percentiles and the spread across backends
  backend    a test backend with /health, echo, --delay and --fail-rate

"switchyard <command> --help" for each.`;

const out = (s: string) => void process.stdout.write(`${s}\n`);

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      process.argv = [process.argv[0], 'switchyard', ...rest];
      await import('../node.ts');
      return;
    case 'demo':
      if (rest.some((a) => a === '--help' || a === '-h')) return out('Usage: switchyard demo [--port N]\n\nStarts three demo backends (0, 100, 200 ms slower) and a balancer over them.');
      if (rest.some((a) => /^--(config|servers|backend)\b/.test(a))) throw new UsageError('demo: takes no servers; use "switchyard start" for your own');
      process.argv = [process.argv[0], 'switchyard', ...rest];
      await import('../node.ts');
      return;
    case 'monitor':
      return (await import('./monitor.ts')).monitor(rest, out);
    case 'loadtest':
      return (await import('./loadtest.ts')).loadtest(rest, out);
    case 'backend':
      return (await import('./backend.ts')).backend(rest, out);
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      return out(HELP);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)} (start, demo, monitor, loadtest, backend; see --help)`);
  }
}

main(process.argv.slice(2)).catch((e) => {
  if (e instanceof UsageError) {
    process.stderr.write(`switchyard: ${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`switchyard: ${(e as Error).message}\n`);
  process.exit(1);
});
