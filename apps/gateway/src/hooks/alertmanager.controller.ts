import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Counter, type Registry } from 'prom-client';
import { ErrorCode } from '../../../../libs/domain/src';
import type { SerialTask } from '../../../../libs/platform/src/serial-task';
import type { PgServiceCatalog } from '../../../../libs/service-catalog/src';
import type { Principal } from '../auth/principal';
import { authorizeRest, sendError } from '../auth/rest-auth';
import type { TokenRegistry } from '../auth/token-registry';
import { unavailableDependency } from '../errors/dependency-unavailable';
import {
  HALT_DELIVERY,
  HALT_DISPATCHER,
  HALT_INTAKE,
  HALT_REQUESTS,
  INCIDENT_DECISIONS,
  METRICS_REGISTRY,
  SERVICE_CATALOG,
  TOKEN_REGISTRY,
} from '../gateway.tokens';
import { webhookPayloadSchema } from './alertmanager-payload';
import { toHaltRequest, type Delivered, type HaltDelivery } from './halt-delivery';
import { haltBodySchema } from './halt-hook';
import { catalogRegions, type HaltIntake, type Intake, type RegionsOf, type UnmatchedAlert } from './halt-intake';
import type { HaltRequestRepository } from './halt-request.repository';
import type { IncidentDecisionRepository } from './incident-decision.repository';

/** The webhook's answer. */
export interface HookAnswer {
  /** Requests queued for delivery. */
  queued: number;
  /** Repeats of requests already received (a repeat of one that did not halt is looked at again). */
  duplicates: number;
  /** Resolved alerts, and alerts without a service label. */
  ignored: number;
  /** Alerts naming a service or region Sluice does not know: recorded, counted, never delivered. */
  unmatched: UnmatchedAlert[];
  /** Only while PostgreSQL is down: delivered straight to Temporal, with each outcome. */
  delivered?: Delivered[];
}

/**
 * `POST /hooks/alertmanager` (Alertmanager's webhook, payload version 4, or Grafana-managed
 * alerting's webhook contact point, version 1) and `POST /hooks/halt`.
 * Both need a bearer token whose principal may halt (monitor, deployer or admin). Requests are
 * committed to the outbox before the answer, then delivered by the dispatcher; while
 * PostgreSQL is down they go straight to Temporal, and the answer is 503 unless all landed
 * and none was a resolved alert (kept only in PostgreSQL), so the sender retries.
 */
@Controller('hooks')
export class AlertmanagerController {
  private readonly unmatchedTotal: Counter<'why'>;

  constructor(
    @Inject(TOKEN_REGISTRY) private readonly tokens: TokenRegistry,
    @Inject(HALT_INTAKE) private readonly intake: HaltIntake,
    @Inject(HALT_REQUESTS) private readonly requests: HaltRequestRepository,
    @Inject(HALT_DELIVERY) private readonly delivery: HaltDelivery,
    @Inject(HALT_DISPATCHER) private readonly dispatcher: SerialTask,
    @Inject(SERVICE_CATALOG) private readonly catalog: PgServiceCatalog,
    @Inject(INCIDENT_DECISIONS) private readonly decisions: IncidentDecisionRepository,
    @Inject(METRICS_REGISTRY) metrics: Registry,
  ) {
    this.unmatchedTotal = new Counter({
      name: 'sluice_alerts_unmatched_total',
      help: 'Alerts naming a service (UNKNOWN_SERVICE) or region (UNKNOWN_REGION) Sluice does not know.',
      labelNames: ['why'],
      registers: [metrics],
    });
  }

  @Post('alertmanager')
  @HttpCode(200)
  async receive(@Req() req: Request, @Body() body: unknown, @Res() res: Response): Promise<void> {
    const principal = this.authorize(req, res);
    if (!principal) return;
    const payload = webhookPayloadSchema.safeParse(body);
    if (!payload.success) {
      const fields = payload.error.issues.map((i) => ({ field: i.path.join('.') || '(root)', message: i.message }));
      return sendError(
        res,
        400,
        ErrorCode.BadUserInput,
        'not a webhook payload of Alertmanager (version "4") or Grafana (version "1")',
        { fields },
      );
    }
    await this.accept((regionsOf) => this.intake.fromAlerts(payload.data.alerts, principal.name, regionsOf), res);
  }

  /** `{service, region?, reason, id?}`: a halt request from any monitoring tool, through the same outbox. */
  @Post('halt')
  @HttpCode(200)
  async halt(@Req() req: Request, @Body() body: unknown, @Res() res: Response): Promise<void> {
    const principal = this.authorize(req, res);
    if (!principal) return;
    const parsed = haltBodySchema.safeParse(body);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(root)', message: i.message }));
      return sendError(res, 400, ErrorCode.BadUserInput, 'body must be {service, region?, reason, id?}', { fields });
    }
    const now = new Date();
    await this.accept((regionsOf) => this.intake.fromHook(parsed.data, principal.name, now, regionsOf), res);
  }

  private authorize(req: Request, res: Response): Principal | undefined {
    return authorizeRest(
      this.tokens,
      req,
      res,
      'monitor',
      'halt rollouts',
      ' (http_config.authorization in Alertmanager)',
    );
  }

  /** Matches, commits to the outbox, answers, then nudges delivery: the answer never waits on Temporal. */
  private async accept(build: (regionsOf?: RegionsOf) => Promise<Intake>, res: Response): Promise<void> {
    let intake: Intake;
    let stored: { queued: number; duplicates: number };
    let resolved: number;
    try {
      intake = await build(catalogRegions(this.catalog));
      stored = await this.requests.enqueue(intake.requests);
      // committed before the answer, like the requests: the dispatcher resumes what was paused
      resolved = await this.decisions.resolve(intake.resolved);
    } catch (err) {
      if (unavailableDependency(err) !== 'PostgreSQL') throw err;
      return this.deliverDirectly(await build(), res);
    }
    for (const u of intake.unmatched) {
      this.unmatchedTotal.inc({ why: u.why });
      this.delivery.settled('UNMATCHED');
    }
    const answer: HookAnswer = { ...stored, ignored: intake.ignored, unmatched: intake.unmatched };
    res.status(200).json(answer);
    if (stored.queued > 0 || stored.duplicates > 0 || resolved > 0) void this.dispatcher.trigger();
  }

  /**
   * PostgreSQL is down: no outbox, so each request goes to its rollout now, or the sender
   * retries; a resolved alert cannot be recorded, so the sender retries it too.
   */
  private async deliverDirectly(intake: Intake, res: Response): Promise<void> {
    const now = new Date();
    const results = await Promise.allSettled(
      intake.requests.map((r) =>
        // unmatched cannot be told without the catalog: the workflow judges the region
        this.delivery.deliverNow(
          r.service,
          toHaltRequest(r, { startsAt: r.source === 'hook' ? now : r.startsAt, lastSeenAt: now }),
        ),
      ),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length > 0) {
      return sendError(
        res,
        503,
        ErrorCode.ServiceUnavailable,
        `PostgreSQL is down and ${failed.length} of ${results.length} halt request(s) could not be delivered straight to Temporal; send them again`,
        { dependency: 'PostgreSQL' },
      );
    }
    const delivered = results.map((r) => (r as PromiseFulfilledResult<Delivered>).value);
    // a resolve is only kept in PostgreSQL: answering 200 would lose it, and the pauses it lifts
    if (intake.resolved.length > 0) {
      return sendError(
        res,
        503,
        ErrorCode.ServiceUnavailable,
        `PostgreSQL is down and ${intake.resolved.length} resolved alert(s) could not be recorded` +
          (delivered.length > 0
            ? ` (the ${delivered.length} halt request(s) were delivered straight to Temporal)`
            : '') +
          '; send them again',
        { dependency: 'PostgreSQL' },
      );
    }
    const answer: HookAnswer = { queued: 0, duplicates: 0, ignored: intake.ignored, unmatched: [], delivered };
    res.status(200).json(answer);
  }
}
