/**
 * `npm run bench [-- --quick]`: every benchmark, one after the other, each in its own
 * process (they start their own servers). Each prints its figures and writes JSON and
 * Markdown to bench/results/. CI runs `--quick` only to prove they still run.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const BENCHES = [
  'history',
  'judge',
  'blame',
  'spof',
  'scenarios',
  'halt-latency',
  'overhead',
  'scale',
  'api',
  'load',
  'mitigate',
  'targets',
  'live',
  'longevity',
];
const args = process.argv.slice(2);
const failed: string[] = [];
const timings: string[] = [];

for (const name of BENCHES) {
  console.log(`\n===== bench: ${name} ${args.join(' ')}`);
  const started = performance.now();
  const run = spawnSync(process.execPath, [join(__dirname, `${name}.bench.js`), ...args], { stdio: 'inherit' });
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  timings.push(`${name}: ${seconds} s${run.status === 0 ? '' : ` (exit ${run.status ?? run.signal})`}`);
  if (run.status !== 0) failed.push(name);
}
console.log(`\n===== done\n${timings.join('\n')}`);
if (failed.length > 0) {
  console.error(`failed: ${failed.join(', ')}`);
  process.exit(1);
}
