import { ErrorCode } from '../../libs/domain/src';
import { TargetRegistryClient } from '../../libs/targets/src/target-registry';
import { flagState, startUnleash, type UnleashServer } from '../support/unleash';

// What only the Unleash target does, beyond the conformance suite
// (target-conformance.int-spec.ts), on a real unleash-server.
describe('unleash target specifics', () => {
  let server: UnleashServer;
  const client = new TargetRegistryClient();
  const endpoint = (environment: string, flag = 'specifics') =>
    `unleash+${server.url}?flag=${flag}&environment=${environment}&tokenEnv=SLUICE_TEST_UNLEASH_SPECIFICS`;
  beforeAll(async () => {
    server = await startUnleash(['eu-1', 'eu-2']);
    process.env.SLUICE_TEST_UNLEASH_SPECIFICS = server.token;
  }, 120_000);
  afterAll(async () => {
    client.close();
    delete process.env.SLUICE_TEST_UNLEASH_SPECIFICS;
    await server.stop();
  });

  it('refuses a config that is not a flag state in the form Unleash keeps, naming the form, and writes nothing', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ limit: 10 }, /not a flag state \{ enabled, strategies \}: enabled/],
      [{ enabled: true, strategies: [] }, /at least one strategy/],
      // Unleash keeps parameters as strings: a number would read back different
      [
        { enabled: true, strategies: [{ name: 'flexibleRollout', parameters: { rollout: 50 } }] },
        /not a flag state|form Unleash returns/,
      ],
      [
        { enabled: true, strategies: [{ name: 'default', parameters: {}, constraints: [] }] },
        /form Unleash returns it.*"strategies":\[\{"name":"default","parameters":\{\}\}\]/,
      ],
    ];
    for (const [config, message] of cases) {
      await expect(client.push(endpoint('eu-1'), 'v1', config)).rejects.toMatchObject({
        code: ErrorCode.RegionRejectedPush,
        message: expect.stringMatching(message),
      });
    }
    expect(await client.read(endpoint('eu-1'))).toMatchObject({ version: null, config: null });
  });

  it('creates the flag on its first push, and touches only its own environment', async () => {
    const pushed = await client.push(endpoint('eu-1', 'brand-new'), 'v1', flagState(30));
    expect(pushed).toMatchObject({ version: 'v1', changed: true, previousVersion: null });
    expect(await client.read(endpoint('eu-2', 'brand-new'))).toMatchObject({ version: null, config: null });
    // a push to the other environment does not move this one's revision
    await client.push(endpoint('eu-2', 'brand-new'), 'v1', flagState(30));
    expect((await client.read(endpoint('eu-1', 'brand-new'))).revision).toBe(pushed.revision);
  });

  it('the first pushes of a wave to several environments of a new flag all land (the flag is created once)', async () => {
    // Unleash creates a flag, then connects it to the project's environments: a push that finds
    // it created (409) can read its environment before it is connected. Many flags at once make
    // that window likely.
    const flags = Array.from({ length: 12 }, (_, i) => `created-in-parallel-${i}`);
    const pushed = await Promise.all(
      flags.flatMap((flag) => ['eu-1', 'eu-2'].map((env) => client.push(endpoint(env, flag), 'v1', flagState(10)))),
    );
    expect(pushed.map((p) => p.version)).toEqual(flags.flatMap(() => ['v1', 'v1']));
  });

  it('a push to an archived flag is REGION_REJECTED_PUSH naming it, and writes nothing', async () => {
    const path = `${server.url}/api/admin/projects/default/features`;
    const headers = { authorization: server.token, 'content-type': 'application/json' };
    const made = await fetch(path, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'archived', type: 'release' }),
    });
    expect(made.ok).toBe(true);
    expect((await fetch(`${path}/archived`, { method: 'DELETE', headers })).ok).toBe(true);
    const before = await client.read(endpoint('eu-1', 'archived'));
    for (const environment of ['eu-1', 'eu-2']) {
      await expect(client.push(endpoint(environment, 'archived'), 'v1', flagState(10))).rejects.toMatchObject({
        code: ErrorCode.RegionRejectedPush,
        message: expect.stringMatching(/flag archived in eu-\d: the flag is archived in project default/),
      });
    }
    expect(await client.read(endpoint('eu-1', 'archived'))).toEqual(before);
    expect(await client.read(endpoint('eu-2', 'archived'))).toMatchObject({ version: null, config: null });
  });

  it('restores a hand-made strategy without a title exactly: the mark of Sluice does not stay behind', async () => {
    const path = `${server.url}/api/admin/projects/default/features`;
    const headers = { authorization: server.token, 'content-type': 'application/json' };
    await fetch(path, { method: 'POST', headers, body: JSON.stringify({ name: 'untitled', type: 'release' }) });
    const hand = { name: 'flexibleRollout', parameters: { rollout: '7', stickiness: 'default', groupId: 'g' } };
    const added = await fetch(`${path}/untitled/environments/eu-1/strategies`, {
      method: 'POST',
      headers,
      body: JSON.stringify(hand),
    });
    expect(added.ok).toBe(true);
    const found = await client.read(endpoint('eu-1', 'untitled'));
    expect(found).toMatchObject({
      version: expect.stringMatching(/^unleash-/),
      config: { enabled: false, strategies: [hand] },
    });
    const v2 = await client.push(endpoint('eu-1', 'untitled'), 'v2', flagState(50), found.revision);
    await client.push(endpoint('eu-1', 'untitled'), found.version!, found.config!, v2.revision);
    expect(await client.read(endpoint('eu-1', 'untitled'))).toMatchObject({
      version: found.version,
      configHash: found.configHash,
    });
  });

  it('refuses an enabled state whose strategies are all disabled, which Unleash would turn into a 100% rollout', async () => {
    const state = { enabled: true, strategies: [{ name: 'default', parameters: {}, disabled: true }] };
    await expect(client.push(endpoint('eu-2', 'all-disabled'), 'v1', state)).rejects.toMatchObject({
      code: ErrorCode.RegionRejectedPush,
      message: expect.stringMatching(/an enabled flag needs a strategy that is not disabled/),
    });
    expect(await client.read(endpoint('eu-2', 'all-disabled'))).toMatchObject({ version: null, config: null });
  });

  it('an environment missing from the project is REGION_REJECTED_PUSH naming it', async () => {
    await expect(client.read(endpoint('mars-1'))).rejects.toMatchObject({
      code: ErrorCode.RegionRejectedPush,
      message: expect.stringMatching(/flag specifics in mars-1: the environment is not enabled in project default/),
    });
  });

  it('a flag switched off keeps its strategies and version; "nothing" is off with no strategy', async () => {
    const on = await client.push(endpoint('eu-2'), 'on', flagState(100));
    const off = await client.push(endpoint('eu-2'), 'off', flagState(100, false), on.revision);
    expect(await client.read(endpoint('eu-2'))).toMatchObject({ version: 'off', config: flagState(100, false) });
    await client.clear(endpoint('eu-2'), off.revision);
    const res = await fetch(`${server.url}/api/admin/projects/default/features/specifics/environments/eu-2`, {
      headers: { authorization: server.token },
    });
    expect(await res.json()).toMatchObject({ enabled: false, strategies: [] });
  });
});
