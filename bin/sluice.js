#!/usr/bin/env node
// The `sluice` command (package.json `bin`): runs the compiled CLI, building it first when a
// fresh checkout has not been built yet.
'use strict';
const { existsSync } = require('node:fs');
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
const main = join(root, 'dist', 'apps', 'cli', 'src', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('sluice: building the CLI once (npm run build)…\n');
  execFileSync(process.execPath, [join(root, 'scripts', 'bootstrap.mjs'), '--build'], {
    cwd: root,
    stdio: ['ignore', 2, 2],
  });
}
require(main).main(process.argv);
