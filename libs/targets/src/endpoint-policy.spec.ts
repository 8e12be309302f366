import { ErrorCode } from '../../domain/src';
import { EndpointPolicy, endpointHosts, loadEndpointPolicy } from './endpoint-policy';
import { TargetRegistryClient } from './target-registry';

describe('endpoint allow- and deny-lists', () => {
  it('lets everything through when no list is set', () => {
    expect(new EndpointPolicy().problem('http://10.0.0.5:8080/r')).toBeNull();
  });

  it('denies by CIDR, address, host name and suffix; deny wins over allow', () => {
    const policy = new EndpointPolicy({
      allow: ['10.0.0.0/8', '*.internal', 'fd00::/8'],
      deny: ['10.9.0.0/16', 'vault.internal', '10.0.0.7'],
    });
    expect(policy.problem('http://10.1.2.3/r')).toBeNull();
    expect(policy.problem('https://agent.eu-1.internal:8443/r')).toBeNull();
    expect(policy.problem('http://[fd00::5]:80/r')).toBeNull();
    expect(policy.problem('http://10.9.1.1/r')).toBe('10.9.1.1 is denied by SLUICE_TARGET_DENY');
    expect(policy.problem('http://10.0.0.7/r')).toBe('10.0.0.7 is denied by SLUICE_TARGET_DENY');
    expect(policy.problem('http://VAULT.internal/r')).toBe('vault.internal is denied by SLUICE_TARGET_DENY');
    expect(policy.problem('http://vault.internal./r')).toBe('vault.internal is denied by SLUICE_TARGET_DENY');
    expect(policy.problem('http://[::ffff:10.9.1.1]/r')).toBe('::ffff:a09:101 is denied by SLUICE_TARGET_DENY');
    expect(policy.problem('http://192.168.0.1/r')).toBe('192.168.0.1 is not in SLUICE_TARGET_ALLOW');
    expect(policy.problem('http://internal.evil.com/r')).toBe('internal.evil.com is not in SLUICE_TARGET_ALLOW');
    // an address spelled another way is still that address
    expect(policy.problem('http://0x0a090101/r')).toBe('10.9.1.1 is denied by SLUICE_TARGET_DENY');
  });

  it('checks every host an endpoint names, whatever its kind', () => {
    expect(endpointHosts('etcd://u@10.0.0.1:2379/k?host=10.0.0.2:2379&passwordEnv=P')).toEqual([
      '10.0.0.1',
      '10.0.0.2',
    ]);
    expect(endpointHosts('unleash+https://flags.internal:4242?flag=f&environment=e')).toEqual(['flags.internal']);
    expect(endpointHosts('git+ssh://git@git.internal/config.git?path=a.json')).toEqual(['git.internal']);
    expect(endpointHosts('git+file:///srv/config.git?path=a.json')).toEqual([]);
    const policy = new EndpointPolicy({ allow: ['10.0.0.1'], deny: [] });
    expect(policy.problem('etcd://10.0.0.1:2379/k?host=10.0.0.2:2379')).toBe('10.0.0.2 is not in SLUICE_TARGET_ALLOW');
  });

  it('reads the lists from the environment, and refuses a malformed entry naming the variable', () => {
    const policy = loadEndpointPolicy({ SLUICE_TARGET_DENY: ' 10.0.0.0/8 , *.corp ' });
    expect(policy.lists).toEqual({ allow: [], deny: ['10.0.0.0/8', '*.corp'] });
    expect(() => loadEndpointPolicy({ SLUICE_TARGET_ALLOW: '10.0.0.0/8,not a host' })).toThrow(/SLUICE_TARGET_ALLOW/);
    expect(() => loadEndpointPolicy({ SLUICE_TARGET_DENY: '10.0.0.0/99' })).toThrow(/SLUICE_TARGET_DENY/);
  });

  it('the worker refuses to call a denied region, whenever it was registered', async () => {
    const client = new TargetRegistryClient();
    client.policy = new EndpointPolicy({ allow: [], deny: ['10.9.0.0/16'] });
    await expect(client.push('http://10.9.1.1:8080/r', 'v1', { a: 1 })).rejects.toMatchObject({
      code: ErrorCode.RegionRejectedPush,
      message: 'not calling this region: 10.9.1.1 is denied by SLUICE_TARGET_DENY',
    });
    client.close();
  });
});
