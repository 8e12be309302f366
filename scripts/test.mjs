#!/usr/bin/env node
// `npm test`: the whole suite in two jest processes at once, each with its own Temporal dev
// server and PostgreSQL (the global setup): the end-to-end specs in one, the pure and
// integration specs in the other. Most of an end-to-end spec's time is waiting on real clocks
// (bakes, Prometheus windows), so the two overlap well on 2 cores: about 15 minutes instead of
// 22 one after the other. Each line is prefixed by its process; the exit code is non-zero when
// either fails. With arguments (`npm test -- test/e2e/history`), one jest runs them in band.
// Plain Node on purpose, like bootstrap.mjs.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const jest = join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const args = process.argv.slice(2);

// A failing process's last lines (jest's "Summary of all failing tests") are printed again at
// the very end: with two processes interleaved, the first to fail would otherwise scroll away
// under the other's output, and a CI log that keeps only its tail would not say what failed.
const TAIL_LINES = 400;

function run(label, jestArgs) {
  return new Promise((resolve) => {
    const tail = [];
    const started = Date.now();
    const child = spawn(process.execPath, [jest, '--runInBand', ...jestArgs], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? (process.stdout.isTTY ? '1' : '0') },
    });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        console.log(label ? `[${label}] ${line}` : line);
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
      });
    }
    child.on('exit', (code, signal) => {
      const seconds = Math.round((Date.now() - started) / 1000);
      resolve({ label, ok: code === 0, seconds, how: signal ?? `exit ${code}`, tail });
    });
    for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => child.kill(sig));
  });
}

if (args.length > 0) {
  const { ok } = await run('', args);
  process.exit(ok ? 0 : 1);
}

const results = await Promise.all([
  run('e2e', ['--selectProjects', 'e2e']),
  run('unit+int', ['--selectProjects', 'unit', 'int']),
]);
for (const r of results.filter((r) => !r.ok)) {
  console.log(`\n===== npm test: ${r.label} failed; its last ${r.tail.length} lines again =====`);
  for (const line of r.tail) console.log(`[${r.label}] ${line}`);
}
console.log('');
for (const r of results) console.log(`npm test: ${r.label} ${r.ok ? 'passed' : `FAILED (${r.how})`} in ${r.seconds} s`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
