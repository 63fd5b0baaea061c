/**
 * The Transport contract inside Bun and Deno, on their own fetch: `bun test`
 * and `deno test` both run node:test suites, so each child runs the same
 * src/transport/contract.ts cases and writes a JUnit report. Here every case
 * must come back passed (or skipped, where runtimes.ts says why), and a failing
 * case fails here with the child's message.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { TRANSPORT_CASES } from '../../src/transport/contract.ts';
import { IN_RUNTIME, type InRuntime } from './runtimes.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'node_modules/.bin');
const CHILD_LIMIT_MS = 120_000;

interface Reported {
  name: string;
  result: 'passed' | 'failed' | 'skipped';
  failure?: string;
}

interface ChildRun {
  code: number | null;
  output: string;
  cases: Reported[];
}

const unescape = (s: string) =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');

/**
 * The test cases of a JUnit report, named as the contract names them. Bun
 * writes `name="case"` under its suite; Deno writes `name="suite > case"` and
 * one more testcase for the suite itself.
 */
export function parseJUnit(xml: string, suite: string): Reported[] {
  const out: Reported[] = [];
  for (const m of xml.matchAll(/<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    let name = unescape(/\bname="([^"]*)"/.exec(m[1])?.[1] ?? '');
    if (name === suite) continue;
    if (name.startsWith(`${suite} > `)) name = name.slice(suite.length + 3);
    const body = m[2] ?? '';
    const failure = /<failure\b[^>]*>([\s\S]*?)<\/failure>/.exec(body) ?? /<failure\b([^>]*)\/>/.exec(body);
    if (failure) out.push({ name, result: 'failed', failure: unescape(failure[1]) });
    else out.push({ name, result: /<skipped\b/.test(body) ? 'skipped' : 'passed' });
  }
  return out;
}

function command(runtime: keyof typeof IN_RUNTIME, file: string, report: string): string[] {
  if (runtime === 'bun') return [join(BIN, 'bun'), 'test', `./${file}`, '--reporter=junit', `--reporter-outfile=${report}`];
  return [join(BIN, 'deno'), 'test', '--allow-net=127.0.0.1', '--no-check', '--reporter=junit', `--junit-path=${report}`, file];
}

/** Runs the child to its end (killed by its PID after CHILD_LIMIT_MS) and reads its report. */
function runChild(runtime: keyof typeof IN_RUNTIME, spec: InRuntime): Promise<ChildRun> {
  const dir = mkdtempSync(join(tmpdir(), `switchyard-transport-${runtime}-`));
  const report = join(dir, 'report.xml');
  const [cmd, ...args] = command(runtime, spec.file, report);
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_LIMIT_MS);
  return new Promise((done, fail) => {
    child.once('error', fail);
    child.once('exit', (code) => {
      clearTimeout(timer);
      let xml = '';
      try {
        xml = readFileSync(report, 'utf8');
      } catch {
        // No report: the run failed before it wrote one; the output says why.
      }
      rmSync(dir, { recursive: true, force: true });
      done({ code, output, cases: parseJUnit(xml, `Transport contract: ${spec.name}`) });
    });
  });
}

for (const runtime of ['bun', 'deno'] as const) {
  const spec = IN_RUNTIME[runtime];
  describe(`Transport contract inside ${runtime}: ${spec.name}`, () => {
    let run: ChildRun;
    before(async () => {
      run = await runChild(runtime, spec);
    }, { timeout: CHILD_LIMIT_MS + 10_000 });

    it(`${runtime} ran every case of the contract, and only those`, () => {
      const names = run.cases.map((c) => c.name);
      assert.ok(names.length > 0, `${runtime} reported no cases:\n${run.output}`);
      for (const c of TRANSPORT_CASES) {
        const got = run.cases.filter((r) => r.name === c || r.name.startsWith(`${c} (skipped: `));
        assert.equal(got.length, 1, `${c}: reported ${got.length} times by ${runtime}`);
        if (spec.expectations.skip?.[c]) assert.equal(got[0].result, 'skipped', `${c}: ${runtime} should skip it`);
      }
      assert.equal(names.length, TRANSPORT_CASES.length, `unexpected cases: ${names.filter((n) => !TRANSPORT_CASES.some((c) => n.startsWith(c))).join('; ')}`);
    });

    for (const c of TRANSPORT_CASES) {
      const skip = spec.expectations.skip?.[c];
      it(c, skip ? { skip: `in ${runtime}: ${skip}` } : {}, () => {
        const got = run.cases.find((r) => r.name === c);
        assert.ok(got, `${runtime} did not report this case (its output is under "${runtime} exited 0")`);
        assert.equal(got.result, 'passed', `in ${runtime}: ${got.failure ?? got.result}`);
      });
    }

    it(`${runtime} exited 0`, () => assert.equal(run.code, 0, run.output));
  });
}
