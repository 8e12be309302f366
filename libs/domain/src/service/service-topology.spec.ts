import { ErrorCode, SluiceError } from '../errors';
import { parseServiceTopology } from './service-topology';

const region = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  endpoint: `http://127.0.0.1:4100/regions/${name}`,
  ...extra,
});

function rejection(input: unknown): SluiceError {
  try {
    parseServiceTopology(input);
  } catch (err) {
    if (err instanceof SluiceError) return err;
    throw err;
  }
  throw new Error('expected the topology to be rejected');
}

describe('service topology', () => {
  it('fills in defaults for weight, tier and customers', () => {
    const topology = parseServiceTopology({ name: 'checkout', regions: [region('eu-west-1')] });
    expect(topology.regions[0]).toEqual({ ...region('eu-west-1'), weight: 1, tier: 'standard', customers: [] });
  });

  it('names every failing field', () => {
    const err = rejection({
      name: 'Checkout!',
      regions: [
        region('a', { endpoint: 'ftp://x' }),
        region('b', { weight: -1 }),
        region('c', { endpoint: 'not-a-url' }),
      ],
    });
    expect(err.code).toBe(ErrorCode.BadUserInput);
    expect((err.details.fields as Array<{ field: string }>).map((f) => f.field)).toEqual([
      'name',
      'regions.0.endpoint',
      'regions.1.weight',
      'regions.2.endpoint',
    ]);
  });

  it('rejects duplicate regions, unknown pairs and self-pairs', () => {
    const err = rejection({
      name: 'checkout',
      regions: [region('a', { pair: 'zz' }), region('a'), region('b', { pair: 'b' })],
    });
    expect(err.details.fields).toEqual([
      { field: 'regions.1.name', message: 'duplicate region "a"' },
      { field: 'regions.0.pair', message: 'pair "zz" is not a region of this service' },
      { field: 'regions.2.pair', message: 'a region cannot pair with itself' },
    ]);
  });

  it('needs at least one region', () => {
    expect(rejection({ name: 'checkout', regions: [] }).details.fields).toEqual([
      { field: 'regions', message: 'a service needs at least one region' },
    ]);
  });

  it('refuses link-local and cloud metadata addresses as endpoints, in any spelling', () => {
    const refused = [
      'http://169.254.169.254/latest/meta-data',
      'http://169.254.10.1:8080/regions/a',
      'http://[fe80::1]/regions/a',
      'http://[fd00:ec2::254]/',
      'http://metadata.google.internal/computeMetadata',
      'http://100.100.100.200/latest',
      'etcd://169.254.169.254:2379/k',
      'http://[::ffff:169.254.169.254]/',
    ];
    for (const endpoint of refused) {
      expect(rejection({ name: 'checkout', regions: [region('a', { endpoint })] }).details.fields).toEqual([
        { field: 'regions.0.endpoint', message: expect.stringMatching(/link-local or cloud metadata address/) },
      ]);
    }
    // loopback and private addresses are where regions live in tests and in a VPC
    for (const endpoint of ['http://127.0.0.1:4100/regions/a', 'http://10.0.0.5/x', 'http://[::1]:80/a']) {
      expect(parseServiceTopology({ name: 'checkout', regions: [region('a', { endpoint })] }).regions).toHaveLength(1);
    }
  });

  it('takes a git file as an endpoint only with a relative path and a branch name', () => {
    const ok = 'git+file:///srv/config.git?branch=main&path=regions/a/app.json';
    expect(parseServiceTopology({ name: 'checkout', regions: [region('a', { endpoint: ok })] }).regions).toHaveLength(
      1,
    );
    const refused: Array<[string, RegExp]> = [
      ['git+file:///srv/config.git?branch=main', /relative path/],
      ['git+file:///srv/config.git?path=../etc/passwd', /relative path/],
      ['git+file:///srv/config.git?path=/abs.json', /relative path/],
      ['git+file:///srv/config.git?path=a.json&branch=--upload-pack=x', /not a branch name/],
      ['git+file:///srv/config.git?path=a.json&token=abc', /unknown git endpoint option/],
      ['git+ftp://host/config.git?path=a.json', /must be an http\(s\) URL/],
    ];
    for (const [endpoint, message] of refused) {
      expect(rejection({ name: 'checkout', regions: [region('a', { endpoint })] }).details.fields).toEqual([
        { field: 'regions.0.endpoint', message: expect.stringMatching(message) },
      ]);
    }
  });
});
