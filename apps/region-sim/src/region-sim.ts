import express, { type Request, type Response } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { RegionFleet, type RegionRecord } from './region-fleet';

const pushBodySchema = z.object({
  version: z.string().min(1),
  config: z.record(z.string(), z.unknown()),
});

export interface RegionSim {
  url: string;
  fleet: RegionFleet;
  close(): Promise<void>;
}

export interface RegionSimOptions {
  regions: readonly string[];
  port: number;
  host?: string;
}

function view(record: RegionRecord) {
  const { region, version, config, configHash, appliedAt, applyCount } = record;
  return { region, version, config, configHash, appliedAt, applyCount };
}

export function createRegionSimApp(fleet: RegionFleet): express.Express {
  const app = express();
  app.use(express.json({ limit: '1mb' }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', regions: fleet.list().length });
  });
  app.get('/regions', (_req, res) => {
    res.json(fleet.list().map(view));
  });
  app.get('/regions/:region/config', (req: Request<{ region: string }>, res: Response) => {
    const record = fleet.get(req.params.region);
    if (!record)
      return void res.status(404).json({ code: 'NOT_FOUND', message: `unknown region "${req.params.region}"` });
    res.json(view(record));
  });
  app.put('/regions/:region/config', (req: Request<{ region: string }>, res: Response) => {
    const body = pushBodySchema.safeParse(req.body);
    if (!body.success) {
      return void res
        .status(400)
        .json({ code: 'BAD_REQUEST', message: 'body must be {version: string, config: object}' });
    }
    const outcome = fleet.apply(req.params.region, body.data.version, body.data.config);
    if (!outcome)
      return void res.status(404).json({ code: 'NOT_FOUND', message: `unknown region "${req.params.region}"` });
    if (outcome.kind === 'conflict') {
      return void res.status(409).json({
        code: 'VERSION_CONFLICT',
        message: `region ${req.params.region} already runs version ${body.data.version} with a different config`,
      });
    }
    res.json({
      ...view(outcome.record),
      previousVersion: outcome.record.previousVersion,
      previousConfig: outcome.record.previousConfig,
      changed: outcome.kind === 'applied',
    });
  });
  return app;
}

export async function startRegionSim(options: RegionSimOptions): Promise<RegionSim> {
  const fleet = new RegionFleet(options.regions);
  const app = createRegionSimApp(fleet);
  const host = options.host ?? '127.0.0.1';
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port, host, () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    fleet,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
