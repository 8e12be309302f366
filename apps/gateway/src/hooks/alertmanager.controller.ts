import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ErrorCode } from '../../../../libs/domain/src';
import type { SerialTask } from '../../../../libs/platform/src/serial-task';
import type { Principal } from '../auth/principal';
import { authorizeRest, sendError } from '../auth/rest-auth';
import type { TokenRegistry } from '../auth/token-registry';
import { HALT_DISPATCHER, HALT_OUTBOX, TOKEN_REGISTRY } from '../gateway.tokens';
import { alertmanagerPayloadSchema, type Alert } from './alertmanager-payload';
import { haltBodySchema, hookAlert } from './halt-hook';

import type { HaltOutbox } from './halt-outbox';

/**
 * `POST /hooks/alertmanager`: Alertmanager's webhook (payload version 4). Needs a bearer token
 * whose principal may halt (deployer or admin). Firing alerts are committed to the outbox
 * before the answer, then halt every running rollout whose service (and region) they name.
 */
@Controller('hooks')
export class AlertmanagerController {
  constructor(
    @Inject(TOKEN_REGISTRY) private readonly tokens: TokenRegistry,
    @Inject(HALT_OUTBOX) private readonly outbox: HaltOutbox,
    @Inject(HALT_DISPATCHER) private readonly dispatcher: SerialTask,
  ) {}

  @Post('alertmanager')
  @HttpCode(200)
  async receive(@Req() req: Request, @Body() body: unknown, @Res() res: Response): Promise<void> {
    const principal = this.authorize(req, res);
    if (!principal) return;
    const payload = alertmanagerPayloadSchema.safeParse(body);
    if (!payload.success) {
      const fields = payload.error.issues.map((i) => ({ field: i.path.join('.') || '(root)', message: i.message }));
      return sendError(res, 400, ErrorCode.BadUserInput, 'not an Alertmanager webhook payload (version 4)', { fields });
    }
    await this.enqueue(payload.data.alerts, principal, res);
  }

  /** `{service, region?, reason, id?}`: halts like a firing alert, through the same outbox. */
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
    const alert = hookAlert(parsed.data, this.outbox.labels, new Date());
    await this.enqueue([alert], principal, res);
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

  /** Commits to the outbox, answers, then nudges delivery: the answer never waits on Temporal. */
  private async enqueue(alerts: Alert[], principal: Principal, res: Response): Promise<void> {
    const result = await this.outbox.enqueue(alerts, principal.name);
    res.status(200).json(result);
    if (result.queued > 0) void this.dispatcher.trigger();
  }
}
