import type { FieldError } from '../errors';
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
      'etcd://10.0.0.1:2379/k?host=169.254.169.254:2379',
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
      ['unleash+http://u:secret@h:4242?flag=f&environment=e', /by reference/],
      ['git+https://u:tok@h/c.git?path=a.json', /git token is named by reference/],
      ['etcd://10.0.0.1:2379/app/../payments/prod', /must not hold \. or \.\. segments/],
      ['etcd://10.0.0.1:2379/app/%2e%2e/payments/prod', /must not hold \. or \.\. segments/],
      ['git+file:///srv/c.git?path=a.json&tokenEnv=T', /for http\(s\) remotes/],
      ['git+https://h/c.git?path=a.json&tokenEnv=T&tokenFile=/t', /once/],
      ['unleash+http://h:4242?flag=f', /names its environment/],
      ['unleash+http://h:4242?flag=f&environment=e&token=abc', /unknown unleash endpoint option/],
      ['unleash+http://h:4242?flag=f%20x&environment=e', /not an Unleash flag name/],
    ];
    for (const [endpoint, message] of refused) {
      expect(rejection({ name: 'checkout', regions: [region('a', { endpoint })] }).details.fields).toEqual([
        { field: 'regions.0.endpoint', message: expect.stringMatching(message) },
      ]);
    }
  });

  describe('a target as typed fields per kind', () => {
    const typed = (target: unknown) => ({ name: 'checkout', regions: [{ name: 'a', target }] });
    const endpointOf = (target: unknown) => parseServiceTopology(typed(target)).regions[0].endpoint;

    it('stores the endpoint URL each kind stands for', () => {
      expect(endpointOf({ http: { url: 'http://10.0.0.5:8080/app' } })).toBe('http://10.0.0.5:8080/app');
      expect(
        endpointOf({
          etcd: {
            endpoints: ['10.0.0.1:2379', '10.0.0.2:2379'],
            key: 'sluice/app/a',
            user: 'deploy',
            passwordEnv: 'ETCD_PW',
          },
        }),
      ).toBe('etcd://deploy@10.0.0.1:2379/sluice/app/a?passwordEnv=ETCD_PW&host=10.0.0.2%3A2379');
      const git = endpointOf({ git: { remote: 'file:///srv/config.git', path: 'regions/a/app.json' } });
      expect(git).toBe('git+file:///srv/config.git?branch=main&path=regions%2Fa%2Fapp.json');
      expect(endpointOf({ git: { remote: 'https://git.internal/c.git', path: 'a.json', tokenEnv: 'GIT_TOKEN' } })).toBe(
        'git+https://git.internal/c.git?branch=main&path=a.json&tokenEnv=GIT_TOKEN',
      );
      expect(
        endpointOf({
          unleash: { url: 'http://10.0.0.9:4242', flag: 'checkout-v2', environment: 'eu-1', tokenEnv: 'UNLEASH_TOKEN' },
        }),
      ).toBe('unleash+http://10.0.0.9:4242?project=default&flag=checkout-v2&environment=eu-1&tokenEnv=UNLEASH_TOKEN');
      // the stored endpoint is one the topology itself accepts
      expect(
        parseServiceTopology({ name: 'checkout', regions: [region('a', { endpoint: git })] }).regions[0],
      ).toMatchObject({
        endpoint: git,
      });
    });

    it('names the failing field of each kind, and stores nothing', () => {
      const fieldsOf = (target: unknown) => rejection(typed(target)).details.fields;
      expect(fieldsOf({ etcd: { endpoints: ['no-port'], key: '/abs' } })).toEqual([
        { field: 'regions.0.target.etcd.endpoints.0', message: 'must be host:port' },
        { field: 'regions.0.target.etcd.key', message: expect.stringMatching(/without a leading slash/) },
      ]);
      expect(fieldsOf({ etcd: { endpoints: ['h:1'], key: 'k', passwordEnv: 'A', passwordFile: '/p' } })).toEqual([
        { field: 'regions.0.target.etcd.passwordFile', message: expect.stringMatching(/once/) },
      ]);
      expect(fieldsOf({ etcd: { endpoints: ['h:1'], key: 'app/../payments' } })).toEqual([
        { field: 'regions.0.target.etcd.key', message: 'must not hold . or .. segments' },
      ]);
      expect(fieldsOf({ etcd: { endpoints: ['h:1'], key: 'k', password: 'hunter2' } })).toEqual([
        { field: 'regions.0.target.etcd', message: expect.stringMatching(/password/) },
      ]);
      expect(fieldsOf({ git: { remote: 'ftp://h/r.git', path: 'a.json' } })).toEqual([
        {
          field: 'regions.0.target.git.remote',
          message: expect.stringMatching(/file:\/\/, ssh:\/\/ or http\(s\):\/\//),
        },
      ]);
      expect(fieldsOf({ git: { remote: 'file:///srv/c.git', path: '../etc/passwd' } })).toEqual([
        { field: 'regions.0.target', message: expect.stringMatching(/relative path/) },
      ]);
      expect(fieldsOf({ http: { url: 'http://169.254.169.254/latest' } })).toEqual([
        { field: 'regions.0.target', message: expect.stringMatching(/link-local/) },
      ]);
      expect(fieldsOf({ http: { url: 'http://h' }, git: { remote: 'file:///r', path: 'a' } })).toEqual([
        {
          field: 'regions.0.target',
          message: 'name exactly one kind of target: http, etcd, git, unleash or kubernetes',
        },
      ]);
      expect(fieldsOf({ kubernetes: { server: 'http://10.0.0.1:6443', namespace: 'Prod', configMap: 'c' } })).toEqual([
        { field: 'regions.0.target.kubernetes.server', message: expect.stringMatching(/https URL/) },
        { field: 'regions.0.target.kubernetes.namespace', message: expect.stringMatching(/Kubernetes name/) },
      ]);
      expect(
        fieldsOf({ kubernetes: { server: 'https://h:6443', namespace: 'n', configMap: 'c', caFile: 'ca.pem' } }),
      ).toEqual([{ field: 'regions.0.target.kubernetes.caFile', message: 'must be an absolute file path' }]);
    });

    it('a git ssh remote names its key and known hosts by reference, as absolute paths or a variable', () => {
      expect(
        endpointOf({
          git: { remote: 'ssh://git@h/c.git', path: 'a.json', sshKeyFile: '/k/id', knownHostsFile: '/k/hosts' },
        }),
      ).toBe('git+ssh://git@h/c.git?branch=main&path=a.json&sshKeyFile=%2Fk%2Fid&knownHostsFile=%2Fk%2Fhosts');
      const problemOf = (endpoint: string) =>
        (rejection({ name: 'checkout', regions: [region('a', { endpoint })] }).details.fields as FieldError[])[0]
          ?.message;
      expect(problemOf('git+file:///r.git?branch=main&path=a.json&sshKeyFile=/k')).toMatch(/for ssh:\/\/ remotes/);
      expect(problemOf('git+ssh://h/r.git?branch=main&path=a.json&sshKeyFile=k')).toMatch(/absolute path/);
      expect(problemOf('git+ssh://h/r.git?branch=main&path=a.json&sshKeyFile=/k&sshKeyEnv=K')).toMatch(/once/);
    });

    it('a Kubernetes ConfigMap: typed fields become its endpoint, and a bad endpoint names what is wrong', () => {
      const endpoint = endpointOf({
        kubernetes: {
          server: 'https://10.0.0.1:6443',
          namespace: 'checkout',
          configMap: 'app-config',
          tokenEnv: 'KUBE_TOKEN',
          caFile: '/etc/ca.pem',
        },
      });
      expect(endpoint).toBe(
        'kubernetes+https://10.0.0.1:6443/namespaces/checkout/configmaps/app-config?key=config.json&tokenEnv=KUBE_TOKEN&caFile=%2Fetc%2Fca.pem',
      );
      const problemOf = (endpoint: string) =>
        (rejection({ name: 'checkout', regions: [region('a', { endpoint })] }).details.fields as FieldError[])[0]
          ?.message;
      expect(problemOf('kubernetes+http://h:6443/namespaces/n/configmaps/c')).toMatch(
        /a kubernetes\+https:\/\/ ConfigMap/,
      );
      expect(problemOf('kubernetes+https://me:tok@h:6443/namespaces/n/configmaps/c')).toMatch(/by reference/);
      expect(problemOf('kubernetes+https://h:6443/api/v1/namespaces/n/configmaps/c')).toMatch(/names its ConfigMap/);
      expect(problemOf('kubernetes+https://h:6443/namespaces/n/configmaps/c?tokenFile=rel')).toMatch(/absolute/);
      expect(problemOf('kubernetes+https://h:6443/namespaces/n/configmaps/c?insecure=1')).toMatch(/unknown/);
    });

    it('takes an endpoint or a target, never both and never neither', () => {
      expect(rejection({ name: 'checkout', regions: [{ name: 'a' }] }).details.fields).toEqual([
        { field: 'regions.0.endpoint', message: 'a region needs an endpoint or a target' },
      ]);
      expect(
        rejection({ name: 'checkout', regions: [region('a', { target: { http: { url: 'http://h' } } })] }).details
          .fields,
      ).toEqual([{ field: 'regions.0.target', message: 'give an endpoint or a target, not both' }]);
    });
  });
});
