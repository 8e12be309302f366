import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFileAgent, type FileAgent } from '../../apps/file-agent/src/file-agent';
import { ErrorCode } from '../../libs/domain/src';
import { HttpRegionClient } from '../../libs/targets/src';
import { runHttpConformance } from '../../libs/targets/src/conformance-kit';

/** The reference agent: the region contract in front of one config file, with a reload command. */
describe('the reference file agent', () => {
  let dir: string;
  let agent: FileAgent | undefined;
  const client = new HttpRegionClient();
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-agent-'));
  });
  afterEach(async () => {
    await agent?.close();
    agent = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  const configFile = () => join(dir, 'app.json');
  // the "service": reloading copies the file it would read into reloads.log, and refuses a config with "broken"
  const reload = () =>
    `grep -q '"broken"' ${configFile()} && { echo 'config test failed' >&2; exit 3; } ; cat ${configFile()} >> ${join(dir, 'reloads.log')}`;

  it('passes the conformance kit', async () => {
    agent = await startFileAgent({ configFile: configFile(), reloadCommand: reload() });
    const checks = await runHttpConformance(agent.url);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
  });

  it('writes the config to the file and runs the reload command after each change', async () => {
    agent = await startFileAgent({ configFile: configFile(), reloadCommand: reload() });
    const pushed = await client.push(agent.url, 'v1', { limit: 10 }, 0);
    expect(pushed).toMatchObject({ changed: true, version: 'v1' });
    expect(JSON.parse(readFileSync(configFile(), 'utf8'))).toEqual({ limit: 10 });
    expect(readFileSync(join(dir, 'reloads.log'), 'utf8')).toContain('"limit": 10');
  });

  it('refuses a config the reload rejects (422, not retried) and puts the previous file back', async () => {
    agent = await startFileAgent({ configFile: configFile(), reloadCommand: reload() });
    const v1 = await client.push(agent.url, 'v1', { limit: 10 }, 0);
    await expect(client.push(agent.url, 'v2', { broken: true }, v1.revision)).rejects.toMatchObject({
      code: ErrorCode.RegionRejectedPush,
      message: expect.stringMatching(/422.*config test failed/),
    });
    expect(JSON.parse(readFileSync(configFile(), 'utf8'))).toEqual({ limit: 10 });
    expect(await client.read(agent.url)).toMatchObject({ version: 'v1', revision: v1.revision });
  });

  it('answers what it served after a restart, and removes a file it created when the first reload fails', async () => {
    agent = await startFileAgent({ configFile: configFile() });
    const v1 = await client.push(agent.url, 'v1', { a: 1 }, 0);
    await agent.close();
    agent = await startFileAgent({ configFile: configFile() });
    expect(await client.read(agent.url)).toMatchObject({ version: 'v1', config: { a: 1 }, revision: v1.revision });
    await agent.close();

    const fresh = join(dir, 'fresh.json');
    agent = await startFileAgent({ configFile: fresh, reloadCommand: 'exit 1' });
    await expect(client.push(agent.url, 'v1', { a: 1 }, 0)).rejects.toMatchObject({
      code: ErrorCode.RegionRejectedPush,
    });
    expect(() => readFileSync(fresh)).toThrow();
  });
});
