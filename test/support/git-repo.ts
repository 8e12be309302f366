import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A local bare repository with one commit on `main`, and a clone of it for writes "by hand". */
export interface BareRepo {
  /** `file://` URL of the bare repository. */
  url: string;
  endpoint(path: string, branch?: string): string;
  /** Commits `content` (null: removes it) at `path` from another clone and pushes it, as a person would. */
  commitByHand(path: string, content: string | null, message: string): void;
  /** `git log` of the branch: subjects and bodies, newest first. */
  log(path?: string): string;
  remove(): void;
}

const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Someone',
  GIT_AUTHOR_EMAIL: 'someone@localhost',
  GIT_COMMITTER_NAME: 'Someone',
  GIT_COMMITTER_EMAIL: 'someone@localhost',
};
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, encoding: 'utf8' });

export function createBareRepo(): BareRepo {
  const root = mkdtempSync(join(tmpdir(), 'sluice-git-repo-'));
  const bare = join(root, 'config.git');
  const hand = join(root, 'hand');
  git(root, 'init', '-q', '--bare', '-b', 'main', bare);
  git(root, 'clone', '-q', bare, hand);
  git(hand, 'checkout', '-q', '-b', 'main');
  writeFileSync(join(hand, 'README.md'), 'config of every region\n');
  git(hand, 'add', 'README.md');
  git(hand, 'commit', '-q', '-m', 'first commit');
  git(hand, 'push', '-q', 'origin', 'main');
  const url = `file://${bare}`;
  return {
    url,
    endpoint: (path, branch = 'main') => `git+${url}?branch=${branch}&path=${path}`,
    commitByHand(path, content, message) {
      git(hand, 'pull', '-q', '--rebase', 'origin', 'main');
      if (content === null) {
        git(hand, 'rm', '-q', path);
      } else {
        mkdirSync(dirname(join(hand, path)), { recursive: true });
        writeFileSync(join(hand, path), content);
        git(hand, 'add', path);
      }
      git(hand, 'commit', '-q', '-m', message);
      git(hand, 'push', '-q', 'origin', 'main');
    },
    log: (path) => git(bare, 'log', '--format=%s%n%b', 'main', ...(path ? ['--', path] : [])),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
