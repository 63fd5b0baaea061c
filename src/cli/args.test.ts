import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flags, parseFlags, UsageError, type FlagSpec } from './args.ts';

const specs: Record<string, FlagSpec> = { port: { type: 'string' }, backend: { type: 'string', multiple: true }, once: { type: 'boolean' }, verbose: { type: 'boolean', short: 'v' } };

describe('parseFlags: one argv parser, one error style, every problem at once', () => {
  const table: Array<[string, string[], Record<string, unknown>, string[], string[]?]> = [
    ['separate and inline values', ['--port', '80', '--backend=a', '--backend', 'b'], { port: '80', backend: ['a', 'b'] }, []],
    ['an empty inline value is a value', ['--port='], { port: '' }, []],
    ['booleans, long and short', ['--once', '-v'], { once: true, verbose: true }, []],
    ['help is always there', ['-h'], { help: true }, []],
    ['a value that looks like a flag is not taken', ['--port', '--once'], { once: true }, ['flag --port: needs a value']],
    ['a missing value at the end', ['--port'], {}, ['flag --port: needs a value']],
    ['unknown long and short flags, and a missing value, all reported', ['--bogus', '-x', '--port'], {}, ['flag --bogus: unknown flag (see --help)', 'flag -x: unknown flag (see --help)', 'flag --port: needs a value']],
    ['a boolean given a value', ['--once=yes'], {}, ['flag --once: takes no value, got "yes"']],
    ['a stray argument', ['80'], {}, ['argument "80": unexpected; flags start with -- (see --help)']],
    ['after --, arguments are still not flags', ['--', '--port'], {}, ['argument "--port": unexpected (see --help)']],
  ];
  for (const [name, argv, values, errors] of table) {
    it(name, () => {
      const r = parseFlags(argv, specs);
      assert.deepEqual(r.errors, errors);
      assert.deepEqual(r.values, values);
    });
  }

  it('positionals where a command takes them', () => {
    assert.deepEqual(parseFlags(['drain', '127.0.0.1:1', '--once'], specs, true), { values: { once: true }, positionals: ['drain', '127.0.0.1:1'], errors: [] });
  });

  it('flags() throws a UsageError with one line per problem', () => {
    assert.throws(() => flags(['--a', '--b'], {}), (e: unknown) => e instanceof UsageError && e.message === 'flag --a: unknown flag (see --help)\nflag --b: unknown flag (see --help)');
  });
});
