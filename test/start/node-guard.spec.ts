import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { satisfies, nodeVersionProblem } = require('../../scripts/node-guard.cjs') as {
  satisfies(version: string, range: string): boolean;
  nodeVersionProblem(version: string, range: string): string | null;
};

const root = join(__dirname, '..', '..');
const engines = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines
  .node;

describe('the Node version guard that runs before npm ci', () => {
  it.each([
    ['20.19.0', '>=20.19.0', true],
    ['20.18.1', '>=20.19.0', false],
    ['v22.12.0', '^20.19.0 || >=22.12.0', true],
    ['22.11.0', '^20.19.0 || >=22.12.0', false],
    ['21.7.0', '^20.19.0 || >=22.12.0', false],
    ['24.22.3', '>=20.19.0 <21 || >=22.12.0', true],
    ['24.22.3', '24.x', true],
    ['25.0.0', '24', false],
  ])('%s against %s: %s', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });

  it('names the version, the range and the stable code in one line', () => {
    const line = nodeVersionProblem('v18.20.4', engines);
    expect(line).toBe(
      `Node 18.20.4 cannot run Sluice: it needs Node ${engines} (\`nvm install\` reads .nvmrc) [NODE_UNSUPPORTED]`,
    );
    expect(line).not.toContain('\n');
  });

  it('accepts the version in .nvmrc and the Node running these specs', () => {
    const nvmrc = readFileSync(join(root, '.nvmrc'), 'utf8').trim();
    expect(nodeVersionProblem(nvmrc, engines)).toBeNull();
    expect(nodeVersionProblem(process.version, engines)).toBeNull();
  });

  it('refuses an old Node before installing anything, with exit code 1 and no stack trace', () => {
    // the same check the bootstrap makes, as a separate Node would see it
    const result = spawnSync(
      process.execPath,
      [
        '-e',
        "Object.defineProperty(process, 'version', { value: 'v18.0.0' }); import(process.argv[1])",
        join(root, 'scripts', 'bootstrap.mjs'),
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(`[bootstrap] ${nodeVersionProblem('18.0.0', engines)}`);
    expect(result.stdout).toBe('');
  });
});
