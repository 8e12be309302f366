import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectTemporalCliPath, resolveTemporalCli } from './temporal-cli';

function executable(path: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
  return path;
}

describe('Temporal CLI resolution', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
  const onPath = executable(join(root, 'path-bin', 'temporal'));
  const explicit = executable(join(root, 'explicit', 'temporal'));
  const project = executable(projectTemporalCliPath(root));

  it('prefers TEMPORAL_CLI_PATH', () => {
    expect(resolveTemporalCli(root, { TEMPORAL_CLI_PATH: explicit, PATH: join(root, 'path-bin') })).toEqual({
      source: 'TEMPORAL_CLI_PATH',
      path: explicit,
    });
  });

  it('fails loudly when TEMPORAL_CLI_PATH is not executable', () => {
    expect(() => resolveTemporalCli(root, { TEMPORAL_CLI_PATH: join(root, 'missing') })).toThrow(/TEMPORAL_CLI_PATH/);
  });

  it('then takes temporal from PATH', () => {
    expect(resolveTemporalCli(root, { PATH: `/nonexistent:${join(root, 'path-bin')}` })).toEqual({
      source: 'PATH',
      path: onPath,
    });
  });

  it('then the project copy under .tools/', () => {
    expect(resolveTemporalCli(root, { PATH: '/nonexistent' })).toEqual({ source: 'project', path: project });
  });

  it('and last the SDK download', () => {
    const empty = mkdtempSync(join(tmpdir(), 'sluice-cli-empty-'));
    expect(resolveTemporalCli(empty, { PATH: '' })).toEqual({ source: 'sdk-download' });
  });
});
