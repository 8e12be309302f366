import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRegionSim, type RegionSim } from '../../apps/region-sim/src/region-sim';
import { registerService, startRollout, waitForRollout, type StackUrls } from '../support/fixtures';
import { eventually } from '../support/graphql-client';
import { testServices } from '../support/test-env';
import { spawnGateway, spawnWorker, type GatewayProcess, type SluiceProcess } from '../support/sluice-process';

/**
 * OpenTelemetry: with OTEL_EXPORTER_OTLP_ENDPOINT set, one trace runs from the GraphQL
 * mutation (gateway process) through the workflow to the activities (worker process). A
 * small OTLP/HTTP JSON receiver on loopback stands in for the collector.
 */
interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service: string;
}

const REGIONS = ['tr-canary', 'tr-west'];
const SERVICE = `traced-${Date.now().toString(36)}`;

describe('chaos: tracing from the mutation through the workflow to the activities', () => {
  const spans: ReceivedSpan[] = [];
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
            resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
            scopeSpans: Array<{ spans: Array<Omit<ReceivedSpan, 'service'>> }>;
          }>;
        };
        for (const rs of payload.resourceSpans) {
          const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
          for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, service });
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
    gateway = await spawnGateway('gateway', env, { env: otel });
    processes.push(gateway, await spawnWorker('worker', env, otel));
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
    const trace = await eventually(
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
    expect(byName('RunWorkflow:rolloutWorkflow')[0].service).toBe('sluice-worker');
    // one push per region, each an activity span of the worker in this trace
    expect(byName('RunActivity:pushRegionConfig').map((s) => s.service)).toEqual(['sluice-worker', 'sluice-worker']);
    expect(byName('RunActivity:recordEvents').length).toBeGreaterThan(3);
  });
});
