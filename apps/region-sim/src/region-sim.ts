import express, { type Request, type Response } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { journeyRouter } from './journeys';
import { RegionFleet, type ApplyOutcome, type ExpectedRevision, type RegionRecord } from './region-fleet';
import { DEFAULT_TRAFFIC, regionTrafficSchema, TrafficGenerator, type TrafficOptions } from './traffic';

const faultsBodySchema = z
  .object({
    unhealthy: z.boolean(),
    failNextPushes: z.number().int().min(0).max(1_000_000),
    failAllPushes: z.boolean(),
    rejectAllPushes: z.boolean(),
    probeStatus: z.number().int().min(0).max(599),
    slowPushMs: z.number().int().min(0).max(600_000),
    stallPushes: z.boolean(),
    probeDelayMs: z.number().int().min(0).max(60_000),
    healthDelayMs: z.number().int().min(0).max(60_000),
    latencyMs: z.number().int().min(0).max(60_000),
    holdNextPushes: z.number().int().min(0).max(1_000),
    answerWithoutConfig: z.boolean(),
  })
  .partial();

/** Faults a config can carry: the probe endpoint then answers as a broken release would. */
const configFaultsSchema = z
  .object({ faults: z.object({ probeStatus: z.number().int().min(100).max(599).optional() }).partial() })
  .partial();

const pushBodySchema = z.object({
  version: z.string().min(1),
  config: z.record(z.string(), z.unknown()),
});

export interface RegionSim {
  url: string;
  fleet: RegionFleet;
  traffic: TrafficGenerator;
  close(): Promise<void>;
}

export interface RegionSimOptions {
  regions: readonly string[];
  port: number;
  host?: string;
  /** Synthetic traffic; on by default. */
  traffic?: Partial<TrafficOptions> | false;
  /** The service this simulator stands for: a `service` label on its metrics (none by default). */
  service?: string;
  /** Regions' own natural error rates, instead of the traffic's baseErrorRate. */
  baseErrorRates?: Record<string, number>;
}

const incidentBodySchema = z
  .object({
    errorRate: z.number().min(0).max(1).default(0),
    extraLatencyMs: z.number().min(0).max(60_000).default(0),
    /** Only these regions (a dependency one region's instances call); every region when absent. */
    regions: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

function view(record: RegionRecord) {
  const { region, version, config, configHash, appliedAt, applyCount, revision } = record;
  return { region, version, config, configHash, appliedAt, applyCount, revision };
}

/** A region's state with its revision as the ETag too (docs/REGION-CONTRACT.md). */
function answer(res: Response, record: RegionRecord, extra: Record<string, unknown> = {}): void {
  res.setHeader('ETag', `"${record.revision}"`);
  res.json({ ...view(record), ...extra });
}

/** `If-Match: "7"` (or `7`, or a weak `W/"7"`): the revision the write is conditioned on; `*` or none: any. */
function expectedRevision(req: Request): ExpectedRevision | 'invalid' {
  const header = req.header('if-match')?.trim();
  if (header === undefined || header === '*') return undefined;
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(header);
  return match ? Number(match[1]) : 'invalid';
}

function badIfMatch(res: Response): void {
  res
    .status(400)
    .json({ code: 'BAD_REQUEST', message: 'If-Match must be a revision, as the ETag of GET /config gives it' });
}

/** 412: the write named a revision the region no longer has; it changed nothing. */
function revisionMismatch(res: Response, region: string, expected: ExpectedRevision, outcome: ApplyOutcome): void {
  res.setHeader('ETag', `"${outcome.record.revision}"`);
  res.status(412).json({
    code: 'REVISION_MISMATCH',
    message: `region ${region} is at revision ${outcome.record.revision}, not ${expected}: it changed since it was read`,
    revision: outcome.record.revision,
  });
}

/** Applies an injected push fault, if any: 503 (worth a retry) or 422 (refused for good). */
function refusedByFault(fleet: RegionFleet, region: string, version: string | null, res: Response): boolean {
  const admission = fleet.admitPush(region, version);
  if (admission === 'accept') return false;
  const status = admission === 'reject' ? 422 : 503;
  res.status(status).json({ code: 'INJECTED_FAULT', message: `push refused by an injected fault (${admission})` });
  return true;
}

/** Answers nothing until the caller hangs up (or, at the latest, after two minutes with a 504). */
function stall(res: Response): void {
  const timer = setTimeout(() => {
    if (!res.headersSent)
      res.status(504).json({ code: 'INJECTED_FAULT', message: 'push stalled by an injected fault' });
  }, 120_000);
  timer.unref();
  res.once('close', () => clearTimeout(timer));
}

function notFound(res: Response, region: string): void {
  res.status(404).json({ code: 'NOT_FOUND', message: `unknown region "${region}"` });
}

export function createRegionSimApp(fleet: RegionFleet, traffic: TrafficGenerator): express.Express {
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.use('/regions/:region/shop', journeyRouter(fleet));

  app.get('/metrics', async (_req, res) => {
    res.type(traffic.registry.contentType).send(await traffic.registry.metrics());
  });
  /**
   * Degrades every region at once (or the `regions` named), as a failing shared dependency
   * would; {} ends the incident.
   */
  app.put('/incident', (req, res) => {
    const body = incidentBodySchema.safeParse(req.body ?? {});
    if (!body.success) {
      return void res
        .status(400)
        .json({ code: 'BAD_REQUEST', message: 'body must be {errorRate?: 0..1, extraLatencyMs?, regions?: [name]}' });
    }
    const unknown = (body.data.regions ?? []).filter((r) => !fleet.get(r));
    if (unknown.length > 0) {
      return void res.status(404).json({ code: 'NOT_FOUND', message: `unknown region(s): ${unknown.join(', ')}` });
    }
    traffic.incident = body.data;
    res.json({ incident: traffic.incident });
  });

  /** A region across a real network: every config and health request waits `latencyMs` first. */
  app.all(
    ['/regions/:region/config', '/regions/:region/health'],
    async (req: Request<{ region: string }>, _res, next) => {
      const { latencyMs } = fleet.faultsOf(req.params.region);
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      next();
    },
  );
  /** A region's natural traffic before any change: its own base error rate and request rate. */
  app.put('/regions/:region/traffic', (req: Request<{ region: string }>, res: Response) => {
    if (!fleet.get(req.params.region)) return notFound(res, req.params.region);
    const body = regionTrafficSchema.safeParse(req.body ?? {});
    if (!body.success) {
      return void res.status(400).json({
        code: 'BAD_REQUEST',
        message: `body must be {baseErrorRate?: 0..1, rps?: 0..100000}: ${body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`,
      });
    }
    res.json({ region: req.params.region, traffic: traffic.setRegionTraffic(req.params.region, body.data) });
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', regions: fleet.list().length });
  });
  app.get('/regions', (_req, res) => {
    res.json(fleet.list().map(view));
  });
  app.get('/regions/:region/config', (req: Request<{ region: string }>, res: Response) => {
    const record = fleet.get(req.params.region);
    if (!record) return void notFound(res, req.params.region);
    if (fleet.faultsOf(record.region).answerWithoutConfig) {
      return void answer(res, record, { config: null, configHash: null });
    }
    answer(res, record);
  });
  /** Lets the writes held by `holdNextPushes` go on (each applied only if its If-Match still holds). */
  app.post('/regions/:region/held/release', async (req: Request<{ region: string }>, res: Response) => {
    if (!fleet.get(req.params.region)) return void notFound(res, req.params.region);
    res.json({ region: req.params.region, released: await fleet.releaseHeld(req.params.region) });
  });
  app.get('/regions/:region/health', async (req: Request<{ region: string }>, res: Response) => {
    if (!fleet.get(req.params.region)) return void notFound(res, req.params.region);
    const { unhealthy, healthDelayMs } = fleet.faultsOf(req.params.region);
    if (healthDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, healthDelayMs));
    res.status(unhealthy ? 503 : 200).json({ region: req.params.region, status: unhealthy ? 'unhealthy' : 'ok' });
  });
  app.get('/regions/:region/probe', async (req: Request<{ region: string }>, res: Response) => {
    const record = fleet.get(req.params.region);
    if (!record) return void notFound(res, req.params.region);
    const { probeDelayMs } = fleet.faultsOf(record.region);
    if (probeDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, probeDelayMs));
    const faults = configFaultsSchema.safeParse(record.config ?? {});
    const status =
      fleet.faultsOf(record.region).probeStatus || (faults.success && faults.data.faults?.probeStatus) || 200;
    res.status(status).json({ region: record.region, version: record.version, ok: status < 400 });
  });
  app.put('/regions/:region/faults', (req: Request<{ region: string }>, res: Response) => {
    const body = faultsBodySchema.safeParse(req.body);
    if (!body.success) {
      return void res.status(400).json({
        code: 'BAD_REQUEST',
        message:
          'body must be {unhealthy?, failNextPushes?, failAllPushes?, rejectAllPushes?, probeStatus?, slowPushMs?, stallPushes?, probeDelayMs?, healthDelayMs?, latencyMs?, holdNextPushes?, answerWithoutConfig?}',
      });
    }
    const faults = fleet.setFaults(req.params.region, body.data);
    if (!faults) return void notFound(res, req.params.region);
    res.json({ region: req.params.region, faults });
  });
  app.delete('/regions/:region/config', async (req: Request<{ region: string }>, res: Response) => {
    const { region } = req.params;
    if (!fleet.get(region)) return void notFound(res, region);
    const expected = expectedRevision(req);
    if (expected === 'invalid') return void badIfMatch(res);
    if (refusedByFault(fleet, region, null, res)) return;
    await fleet.holdIfAsked(region);
    const outcome = fleet.clear(region, expected)!;
    if (outcome.kind === 'stale') return void revisionMismatch(res, region, expected, outcome);
    answer(res, outcome.record);
  });
  app.put('/regions/:region/config', async (req: Request<{ region: string }>, res: Response) => {
    const asked = typeof req.body?.version === 'string' ? (req.body.version as string) : null;
    if (fleet.get(req.params.region) && refusedByFault(fleet, req.params.region, asked, res)) return;
    if (fleet.faultsOf(req.params.region).stallPushes) return void stall(res);
    const body = pushBodySchema.safeParse(req.body);
    if (!body.success) {
      return void res
        .status(400)
        .json({ code: 'BAD_REQUEST', message: 'body must be {version: string, config: object}' });
    }
    const expected = expectedRevision(req);
    if (expected === 'invalid') return void badIfMatch(res);
    if (fleet.get(req.params.region)) await fleet.holdIfAsked(req.params.region);
    const outcome = fleet.apply(req.params.region, body.data.version, body.data.config, expected);
    if (!outcome) return void notFound(res, req.params.region);
    if (outcome.kind === 'stale') return void revisionMismatch(res, req.params.region, expected, outcome);
    if (outcome.kind === 'conflict') {
      return void res.status(409).json({
        code: 'VERSION_CONFLICT',
        message: `region ${req.params.region} already runs version ${body.data.version} with a different config`,
      });
    }
    const { slowPushMs } = fleet.faultsOf(req.params.region);
    if (slowPushMs > 0) await new Promise((resolve) => setTimeout(resolve, slowPushMs));
    answer(res, outcome.record, {
      previousVersion: outcome.record.previousVersion,
      previousConfig: outcome.record.previousConfig,
      changed: outcome.kind === 'applied',
    });
  });
  return app;
}

export async function startRegionSim(options: RegionSimOptions): Promise<RegionSim> {
  const fleet = new RegionFleet(options.regions);
  const traffic = new TrafficGenerator(fleet, {
    ...DEFAULT_TRAFFIC,
    ...(options.traffic || {}),
    service: options.service,
  });
  for (const [region, baseErrorRate] of Object.entries(options.baseErrorRates ?? {})) {
    traffic.setRegionTraffic(region, { baseErrorRate });
  }
  if (options.traffic !== false) traffic.start();
  const app = createRegionSimApp(fleet, traffic);
  const host = options.host ?? '127.0.0.1';
  const server: Server = await new Promise((resolve, reject) => {
    // express 5 hands a failed listen (a port in use) to the callback, not to 'error' alone
    const s = app.listen(options.port, host, (err?: Error) => (err ? reject(err) : resolve(s)));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    fleet,
    traffic,
    close: () => {
      traffic.stop();
      return new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
