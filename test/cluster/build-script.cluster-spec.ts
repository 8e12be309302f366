import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../libs/platform/src/project-root';

/** scripts/build-temporal-server.sh: instant once built, one clear line without Go. */
const root = projectRoot(__dirname);
const script = join(root, 'scripts', 'build-temporal-server.sh');
const which = (name: string) => spawnSync('bash', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();

describe('the Temporal server build script', () => {
  it('finds the binaries it built before and prints their folder at once', () => {
    const started = Date.now();
    const run = spawnSync('bash', [script, root], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toMatch(/\.tools\/temporal-server-v\d+\.\d+\.\d+$/);
    expect(run.stderr).toContain('already built');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('without Go on PATH, says so in one line and exits 1, building nothing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'sluice-no-go-'));
    try {
      // a PATH of bash and dirname alone, wherever this machine keeps its Go
      const bin = join(empty, 'bin');
      mkdirSync(bin);
      for (const tool of ['bash', 'dirname']) symlinkSync(which(tool), join(bin, tool));
      const run = spawnSync(join(bin, 'bash'), [script, empty], { encoding: 'utf8', env: { PATH: bin, HOME: empty } });
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/go is not on PATH: the Temporal server is built from source; install Go/);
      expect(run.stdout).toBe('');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
