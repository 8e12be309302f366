import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRegionSim, type RegionSim } from '../../apps/region-sim/src/region-sim';
import { registerService, startRollout, waitForRollout, type StackUrls } from '../support/fixtures';
import { eventually } from '../support/graphql-client';
import { testServices } from '../support/test-env';
import { spawnGateway, spawnWorker, type GatewayProcess, type SluiceProcess } from '../support/sluice-process';

/**
 * OpenTelemetry: with OTEL_EXPORTER_OTLP_ENDPOINT set, one trace runs from the GraphQL
 * request (gateway process) through the workflow to the activities (worker process), down to
 * their HTTP calls to the regions and their PostgreSQL queries. A small OTLP/HTTP JSON
 * receiver on loopback stands in for the collector. The resource follows the standard
 * OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
 */
interface Attribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number };
}

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: Attribute[];
  service: string;
  resource: Record<string, string | undefined>;
}

const attribute = (span: ReceivedSpan, key: string) => {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : String(value.intValue));
};

const REGIONS = ['tr-canary', 'tr-west'];
const SERVICE = `traced-${Date.now().toString(36)}`;
const WORKER_SERVICE_NAME = 'sluice-worker-traced';
const RESOURCE_ATTRIBUTES = 'deployment.environment=chaos,service.namespace=sluice';

describe('chaos: tracing from the mutation through the workflow to the activities', () => {
  const spans: ReceivedSpan[] = [];
  /** The rollout's trace, read by the specs after the first. */
  let trace: ReceivedSpan[] = [];
  const processes: SluiceProcess[] = [];
  let collector: Server;
  let gateway: GatewayProcess;
  let sim: RegionSim;

  beforeAll(async () => {
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const payload = JSON.parse(body) as {
          resourceSpans: Array<{
            resource: { attributes: Attribute[] };
            scopeSpans: Array<{ spans: Array<Omit<ReceivedSpan, 'service' | 'resource'>> }>;
          }>;
        };
        for (const rs of payload.resourceSpans) {
          const resource = Object.fromEntries(rs.resource.attributes.map((a) => [a.key, a.value.stringValue]));
          const service = resource['service.name'] ?? '';
          for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, service, resource });
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      OTEL_BSP_SCHEDULE_DELAY: '200',
    };
    const env = { ...testServices(), taskQueue: `sluice-traced-${Date.now()}` };
    sim = await startRegionSim({ regions: REGIONS, port: 0, traffic: false });
    // the gateway keeps its default service name; the worker is named by OTEL_SERVICE_NAME
    gateway = await spawnGateway('gateway', env, { env: { ...otel, OTEL_RESOURCE_ATTRIBUTES: RESOURCE_ATTRIBUTES } });
    processes.push(
      gateway,
      await spawnWorker('worker', env, {
        ...otel,
        OTEL_SERVICE_NAME: WORKER_SERVICE_NAME,
        OTEL_RESOURCE_ATTRIBUTES: RESOURCE_ATTRIBUTES,
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await sim?.close();
    collector?.close();
  });

  it('links the gateway’s span, the workflow and its activities in one trace', async () => {
    const urls: StackUrls = { gateway, regionSim: sim };
    await registerService(urls, SERVICE, REGIONS);
    const id = await startRollout(urls, {
      service: SERVICE,
      version: 'v1',
      config: { traced: true },
      strategy: { canaryMaxShare: 0.5, growthFactor: 2, bakeSeconds: 0, approvalAfterCanary: false },
    });
    expect((await waitForRollout(urls, id, ['SUCCEEDED', 'ROLLED_BACK', 'FAILED'])).status).toBe('SUCCEEDED');

    const root = await eventually(async () => spans.find((s) => s.name === 'graphql.startRollout'), {
      what: 'the gateway span',
      timeoutMs: 20_000,
    });
    expect(root.service).toBe('sluice-gateway');
    trace = await eventually(
      async () => {
        const inTrace = spans.filter((s) => s.traceId === root.traceId);
        const names = new Set(inTrace.map((s) => s.name));
        return names.has('RunWorkflow:rolloutWorkflow') && names.has('RunActivity:pushRegionConfig')
          ? inTrace
          : undefined;
      },
      { what: 'the workflow and activity spans in the same trace', timeoutMs: 30_000 },
    );
    const byName = (name: string) => trace.filter((s) => s.name === name);
    expect(byName('StartWorkflow:rolloutWorkflow')[0]).toMatchObject({
      service: 'sluice-gateway',
      parentSpanId: root.spanId,
    });
    expect(byName('RunWorkflow:rolloutWorkflow')[0].service).toBe(WORKER_SERVICE_NAME);
    // one push per region, each an activity span of the worker in this trace
    expect(byName('RunActivity:pushRegionConfig').map((s) => s.service)).toEqual([
      WORKER_SERVICE_NAME,
      WORKER_SERVICE_NAME,
    ]);
    expect(byName('RunActivity:recordEvents').length).toBeGreaterThan(3);
  });

  it('starts the trace at the gateway’s HTTP request, through GraphQL’s execution', async () => {
    const root = await eventually(async () => spans.find((s) => s.traceId === trace[0].traceId && !s.parentSpanId), {
      what: 'the root span of the trace',
      timeoutMs: 10_000,
    });
    expect(root).toMatchObject({ name: 'POST', service: 'sluice-gateway' });
    expect(attribute(root, 'http.target')).toBe('/graphql');
    const inTrace = spans.filter((s) => s.traceId === root.traceId);
    // the execution span is named after the operation's type; the resolver's span hangs below it
    const execute = inTrace.find((s) => attribute(s, 'graphql.operation.type') === 'mutation')!;
    const resolve = inTrace.find((s) => s.name === 'graphql.resolve startRollout')!;
    const startRollout = inTrace.find((s) => s.name === 'graphql.startRollout')!;
    expect(execute.parentSpanId).toBe(root.spanId);
    expect(isWithin(resolve, execute)).toBe(true);
    expect(startRollout.parentSpanId).toBe(resolve.spanId);
  });

  it('shows each push’s HTTP call to its region under the push activity', async () => {
    const pushes = trace.filter((s) => s.name === 'RunActivity:pushRegionConfig');
    const calls = await eventually(
      async () => {
        const found = spans.filter(
          (s) =>
            s.traceId === pushes[0].traceId &&
            pushes.some((p) => p.spanId === s.parentSpanId) &&
            s.name === 'PUT' &&
            attribute(s, 'url.full')?.endsWith('/config'),
        );
        return found.length >= REGIONS.length ? found : undefined;
      },
      { what: 'the HTTP PUT spans of the pushes', timeoutMs: 10_000 },
    );
    expect(calls.map((s) => s.service)).toEqual([WORKER_SERVICE_NAME, WORKER_SERVICE_NAME]);
    expect(calls.map((s) => attribute(s, 'url.full')).sort()).toEqual(
      REGIONS.map((r) => `${sim.url}/regions/${r}/config`).sort(),
    );
  });

  it('shows an event append’s PostgreSQL query under the recording activity', async () => {
    const appends = trace.filter((s) => s.name === 'RunActivity:recordEvents');
    const query = await eventually(
      async () =>
        spans.find(
          (s) =>
            s.traceId === appends[0].traceId &&
            s.name.startsWith('pg.query:INSERT') &&
            spans.some((parent) => parent.spanId === s.parentSpanId && appends.some((a) => isWithin(parent, a))),
        ),
      { what: 'an INSERT span under recordEvents', timeoutMs: 10_000 },
    );
    expect(query.service).toBe(WORKER_SERVICE_NAME);
    expect(attribute(query, 'db.system')).toBe('postgresql');
  });

  it('names each process’s resource from the standard OTEL_* settings', () => {
    const gatewaySpan = trace.find((s) => s.service === 'sluice-gateway')!;
    const workerSpan = trace.find((s) => s.service === WORKER_SERVICE_NAME)!;
    for (const span of [gatewaySpan, workerSpan]) {
      expect(span.resource).toMatchObject({ 'deployment.environment': 'chaos', 'service.namespace': 'sluice' });
    }
  });

  /** `span` is `ancestor` or hangs below it (a pg.query span sits under the pool's connect or directly). */
  function isWithin(span: ReceivedSpan, ancestor: ReceivedSpan): boolean {
    for (let s: ReceivedSpan | undefined = span; s; s = spans.find((p) => p.spanId === s!.parentSpanId)) {
      if (s.spanId === ancestor.spanId) return true;
    }
    return false;
  }
});
