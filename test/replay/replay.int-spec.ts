import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(__dirname, 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

/**
 * Every committed history of a real run must replay on today's workflow code. A change that
 * would break a running rollout (a reordered activity, a removed timer) fails here; such a
 * change needs `patched()` (docs/VERSIONING.md).
 */
describe('workflow replay against committed histories', () => {
  it('has histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
  });

  it('replays every history without non-determinism', async () => {
    const histories = files.map((file) => ({
      workflowId: file,
      // raw JSON: the worker converts it with its own copy of the protobuf types
      history: JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown,
    }));
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: require.resolve('../../workflows') },
      histories,
    )) {
      replayed += 1;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length);
  });
});
