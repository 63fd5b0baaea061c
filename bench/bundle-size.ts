/** Prints the Worker bundle's size, raw and gzipped, against the 64 KiB gzipped budget. */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BUDGET = 64 * 1024;
const file = process.argv[2] ?? 'dist/index.js';
const raw = readFileSync(file);
const gz = gzipSync(raw, { level: 9 }).length;
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`worker bundle ${file}: ${kib(raw.length)} raw, ${kib(gz)} gzipped (budget ${kib(BUDGET)} gzipped)`);
if (gz > BUDGET) {
  console.error(`over budget by ${kib(gz - BUDGET)}`);
  process.exit(1);
}
