import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import type { Response } from 'express';
import type { Pool } from 'pg';
import { PG_POOL, TEMPORAL_CLIENT } from '../gateway.tokens';

const READY_TIMEOUT_MS = 2_000;

/** Resolves to null when `check` succeeds within the timeout, or to what went wrong. */
async function probe(check: () => Promise<unknown>): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check().then(() => null), timeout]);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/healthz`: liveness, the process answers. `/readyz`: readiness, PostgreSQL and Temporal
 * both answer within 2 s; 503 with what is failing otherwise, so a load balancer stops
 * sending traffic to a gateway that cannot serve it.
 */
@Controller()
export class HealthController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
  ) {}

  @Get('healthz')
  health() {
    return { status: 'ok' };
  }

  @Get('readyz')
  async ready(@Res() res: Response): Promise<void> {
    const [postgresql, temporal] = await Promise.all([
      probe(() => this.pool.query('SELECT 1')),
      probe(() => this.temporal.workflowService.getSystemInfo({})),
    ]);
    const checks = { postgresql: postgresql ?? 'ok', temporal: temporal ?? 'ok' };
    const ready = postgresql === null && temporal === null;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  }
}
