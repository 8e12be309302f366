import { postAlerts } from '../support/alertmanager-webhook';
import { startAppStack, type AppStack } from '../support/app-stack';
import { REQUIRE_TARGETS } from '../support/etcd';
import { eventually } from '../support/eventually';
import { readRollout, startRollout, waitForRollout } from '../support/fixtures';
import { graphql } from '../support/graphql-client';
import {
  createNamespace,
  kubeApiServerInstalled,
  kubeRequest,
  startKubeApiServer,
  type KubeApiServer,
} from '../support/kube-apiserver';
import { describeWithMonitoring, startPrometheus, type PrometheusServer } from '../support/prometheus';

const REGIONS = ['k8-canary-1', 'k8-west-1', 'k8-west-2', 'k8-east-1', 'k8-east-2', 'k8-south-1'];
const NAMESPACE = 'checkout';

/** Without the built kube-apiserver the suite says so and is skipped, unless CI requires it. */
const describeWithKube = (name: string, body: () => void) => {
  if (kubeApiServerInstalled() || process.env[REQUIRE_TARGETS])
    return describeWithMonitoring(['prometheus'], name, body);
  process.stderr.write(
    `[targets] skipping "${name}": kube-apiserver not built (bash scripts/build-kube-apiserver.sh)\n`,
  );
  describe.skip(name, body);
};

/**
 * A service whose regions are ConfigMaps (one per region, in one namespace) of a real
 * kube-apiserver, end to end on the real stack: wave by wave under a Prometheus gate, then a
 * halt from an Alertmanager webhook that restores every ConfigMap it touched, checked in the
 * API server itself.
 */
describeWithKube('regions that are Kubernetes ConfigMaps, end to end', () => {
  let stack: AppStack;
  let kube: KubeApiServer;
  let prometheus: PrometheusServer;
  const service = `k8s-${Date.now()}`;

  /** What the API server holds for a region: Sluice's version annotation and the config, or null. */
  async function configMap(region: string) {
    const res = await kubeRequest(kube, 'GET', `/api/v1/namespaces/${NAMESPACE}/configmaps/${region}`);
    if (res.status === 404) return null;
    const metadata = res.body.metadata as {
      annotations?: Record<string, string>;
      managedFields?: Array<{ manager: string }>;
    };
    const data = res.body.data as Record<string, string> | undefined;
    return {
      version: metadata.annotations?.['sluice.dev/version'] ?? null,
      rollout: metadata.annotations?.['sluice.dev/rollout'] ?? null,
      config: data?.['config.json'] ? (JSON.parse(data['config.json']) as unknown) : null,
      managers: (metadata.managedFields ?? []).map((f) => f.manager),
    };
  }

  beforeAll(async () => {
    kube = await startKubeApiServer();
    await createNamespace(kube, NAMESPACE);
    // the worker runs in this process: it reads the token by reference, from this variable
    process.env.SLUICE_TEST_KUBE_TOKEN = kube.adminToken;
    prometheus = await startPrometheus({ targets: [] });
    stack = await startAppStack({ regions: ['http-1'], prometheusUrl: prometheus.url });
    const res = await graphql(
      stack.gateway.url,
      'mutation ($input: RegisterServiceInput!) { registerService(input: $input) { name regions { name targetKind } } }',
      {
        input: {
          name: service,
          regions: REGIONS.map((name, i) => ({
            name,
            tier: i === 0 ? 'CANARY' : 'STANDARD',
            target: {
              kubernetes: {
                server: kube.url,
                namespace: NAMESPACE,
                configMap: name,
                tokenEnv: 'SLUICE_TEST_KUBE_TOKEN',
                caFile: kube.caFile,
              },
            },
          })),
        },
      },
      'admin',
    );
    expect(res.errors).toBeUndefined();
    expect(JSON.stringify(res.data)).toContain('KUBERNETES');
  }, 150_000);
  afterAll(async () => {
    await stack?.stop();
    await kube?.stop();
    await prometheus?.stop();
    delete process.env.SLUICE_TEST_KUBE_TOKEN;
  });

  const strategy = { canaryMaxShare: 0.2, growthFactor: 2, approvalAfterCanary: false };

  it('rolls a config out wave by wave to every ConfigMap under a Prometheus gate, by server-side apply', async () => {
    const id = await startRollout(stack, {
      service,
      version: 'v1',
      config: { replicas: 3 },
      strategy: { ...strategy, bakeSeconds: 2 },
      gates: [{ kind: 'prometheus', name: 'errors', query: 'vector(0.001)', comparison: '<', threshold: 0.05 }],
      gateIntervalSeconds: 1,
    });
    const done = await waitForRollout(stack, id, ['SUCCEEDED', 'ROLLED_BACK', 'FAILED']);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.events.filter((e) => e.type === 'WaveStarted').length).toBeGreaterThanOrEqual(3);
    expect(done.events.some((e) => e.type === 'HealthGateEvaluated' && e.data.verdict === 'PASS')).toBe(true);
    for (const region of REGIONS) {
      expect(await configMap(region)).toMatchObject({ version: 'v1', rollout: id, config: { replicas: 3 } });
    }
  }, 120_000);

  it('a halt from Alertmanager mid-rollout restores every ConfigMap it reached, and leaves the rest', async () => {
    const id = await startRollout(stack, {
      service,
      version: 'v2',
      config: { replicas: 5 },
      strategy: { ...strategy, growthFactor: 3 },
      waves: [
        { regions: ['k8-canary-1'], bakeSeconds: 0 },
        { regions: ['k8-west-1', 'k8-west-2'], bakeSeconds: 600 },
        { regions: ['k8-east-1', 'k8-east-2', 'k8-south-1'], bakeSeconds: 0 },
      ],
    });
    await eventually(
      async () => {
        const rollout = await readRollout(stack, id);
        const pushed = rollout.events.filter((e) => e.type === 'RegionConfigPushed').length;
        return pushed === 3 ? rollout : undefined;
      },
      { what: 'the second wave to be pushed', timeoutMs: 90_000, intervalMs: 300 },
    );
    // wave by wave, in the API server itself: v2 in the first two waves, v1 still elsewhere
    const midway = Object.fromEntries(await Promise.all(REGIONS.map(async (r) => [r, (await configMap(r))?.version])));
    expect(midway).toEqual({
      'k8-canary-1': 'v2',
      'k8-west-1': 'v2',
      'k8-west-2': 'v2',
      'k8-east-1': 'v1',
      'k8-east-2': 'v1',
      'k8-south-1': 'v1',
    });

    const alert = await postAlerts(stack.gateway.url, [
      { labels: { alertname: 'CheckoutErrors', service }, fingerprint: `k8s-${service}` },
    ]);
    expect(alert.ok).toBe(true);
    const stopped = await waitForRollout(stack, id, ['ROLLED_BACK', 'ROLLBACK_FAILED', 'SUCCEEDED', 'FAILED']);
    expect(stopped.status).toBe('ROLLED_BACK');
    for (const region of REGIONS) {
      expect({ region, ...(await configMap(region)) }).toMatchObject({
        region,
        version: 'v1',
        config: { replicas: 3 },
      });
    }
    // Sluice owns its fields as the field manager "sluice" (server-side apply)
    expect((await configMap('k8-west-1'))?.managers).toContain('sluice');
  }, 150_000);
});
