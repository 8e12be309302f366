import { ErrorCode, SluiceError } from '../../domain/src';
import { configHash } from './config-hash';
import { parsePushAnswer, parseRegionState } from './region-contract';

const URL = 'http://region/config';
const parse = (body: unknown, etag: string | null = null) =>
  parseRegionState(URL, 'http://region', typeof body === 'string' ? body : JSON.stringify(body), etag);

function protocolProblem(read: () => unknown): string {
  try {
    read();
  } catch (err) {
    expect(err).toBeInstanceOf(SluiceError);
    expect((err as SluiceError).code).toBe(ErrorCode.RegionProtocol);
    return (err as SluiceError).message;
  }
  throw new Error('the answer was accepted');
}

describe('region answers are checked against the contract', () => {
  const config = { b: 1, a: [true, null] };

  it('takes a state with its revision from the body or, failing that, from the ETag', () => {
    expect(parse({ region: 'eu', version: 'v1', config, revision: 7 })).toEqual({
      region: 'eu',
      version: 'v1',
      config,
      configHash: configHash(config),
      revision: 7,
    });
    expect(parse({ version: null, config: null }, '"12"')).toMatchObject({
      region: 'http://region',
      version: null,
      configHash: null,
      revision: 12,
    });
  });

  it('refuses a version without its config: it is not "no config"', () => {
    expect(protocolProblem(() => parse({ version: 'v1', config: null, revision: 3 }))).toMatch(
      /version v1 without its config/,
    );
  });

  it('refuses a config without a version, a hash that is not the config’s, no revision, or no JSON', () => {
    expect(protocolProblem(() => parse({ version: null, config, revision: 1 }))).toMatch(/config without a version/);
    expect(protocolProblem(() => parse({ version: 'v1', config, configHash: 'abc', revision: 1 }))).toMatch(
      /configHash abc is not the SHA-256/,
    );
    expect(protocolProblem(() => parse({ version: 'v1', config }))).toMatch(/no revision/);
    expect(protocolProblem(() => parse({ version: 'v1', config, revision: -1 }))).toMatch(/revision/);
    expect(protocolProblem(() => parse('<html>busy</html>'))).toMatch(/not JSON/);
    expect(protocolProblem(() => parse({ version: 7, config, revision: 1 }))).toMatch(/^.*version/);
  });

  it('needs a PUT answer to say what it replaced and whether it changed anything', () => {
    const body = { version: 'v2', config, revision: 4 };
    expect(protocolProblem(() => parsePushAnswer(URL, 'x', JSON.stringify(body), null))).toMatch(/previousVersion/);
    expect(
      parsePushAnswer(URL, 'x', JSON.stringify({ ...body, previousVersion: 'v1', changed: true }), null),
    ).toMatchObject({ version: 'v2', revision: 4, previousVersion: 'v1', changed: true });
  });
});
