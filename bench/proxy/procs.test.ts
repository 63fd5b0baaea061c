/** Processes the benchmark starts: their tree is measured and every process in it is ended by PID. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { cpuMicros, listeningUrl, peakRssBytes, start, stop, tree } from './procs.ts';

// A parent that ignores SIGTERM, with a child that ignores it too: only SIGKILL by PID ends them.
const STUBBORN = `
process.on('SIGTERM', () => {});
const { spawn } = require('node:child_process');
const child = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: 'ignore' });
const t = process.cpuUsage(); while (process.cpuUsage(t).user < 200_000);
console.log('listening on http://127.0.0.1:1 child ' + child.pid);
setInterval(() => {}, 1000);
`;

/** Running (a zombie waiting for its reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/State:\s*Z/.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

describe('procs', () => {
  it('measures the whole tree, then ends every process in it by PID', async () => {
    const proc = start('stubborn', process.execPath, ['-e', STUBBORN]);
    assert.equal(await listeningUrl(proc, 20_000), 'http://127.0.0.1:1');
    const childPid = Number(/child (\d+)/.exec(proc.tail())![1]);
    assert.deepEqual(tree(proc.pid).sort(), [proc.pid, childPid].sort());
    assert.ok(cpuMicros(proc.pid) >= 150_000, 'the 200 ms of CPU it spent is counted (10 ms ticks)');
    assert.ok(peakRssBytes(proc.pid) > 2 * 10 * 2 ** 20, 'two node processes hold more than 10 MiB each');
    await stop(proc, 300);
    await proc.exited;
    for (let i = 0; i < 100 && alive(childPid); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(alive(childPid), false, 'the child is gone');
  });
  it('rejects naming the process when it exits before listening', async () => {
    const proc = start('quitter', process.execPath, ['-e', "console.error('bad flag'); process.exit(3)"]);
    await assert.rejects(listeningUrl(proc), /quitter exited \(3\) before listening:\nbad flag/);
  });
});
