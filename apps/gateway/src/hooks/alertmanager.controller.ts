import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ErrorCode } from '../../../../libs/domain/src';
import type { SerialTask } from '../../../../libs/platform/src/serial-task';
import { bearerToken } from '../auth/auth.guard';
import { hasRole } from '../auth/principal';
import type { TokenRegistry } from '../auth/token-registry';
import { HALT_DISPATCHER, HALT_OUTBOX, TOKEN_REGISTRY } from '../gateway.tokens';
import { alertmanagerPayloadSchema } from './alertmanager-payload';
import type { HaltOutbox } from './halt-outbox';

const error = (res: Response, status: number, code: string, message: string, extra: Record<string, unknown> = {}) =>
  void res.status(status).json({ error: { code, message, ...extra } });

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
    const token = bearerToken(req.headers.authorization);
    const principal = token ? this.tokens.resolve(token) : undefined;
    if (!principal) {
      return error(
        res,
        401,
        ErrorCode.Unauthenticated,
        'send "Authorization: Bearer <token>" (http_config.authorization in Alertmanager)',
      );
    }
    if (!hasRole(principal, 'deployer')) {
      return error(
        res,
        403,
        ErrorCode.Forbidden,
        `${principal.name} may not halt rollouts; the webhook needs the deployer role`,
      );
    }
    const payload = alertmanagerPayloadSchema.safeParse(body);
    if (!payload.success) {
      const fields = payload.error.issues.map((i) => ({ field: i.path.join('.') || '(root)', message: i.message }));
      return error(res, 400, ErrorCode.BadUserInput, 'not an Alertmanager webhook payload (version 4)', { fields });
    }
    const result = await this.outbox.enqueue(payload.data.alerts, principal.name);
    res.status(200).json(result);
    if (result.queued > 0) void this.dispatcher.trigger();
  }
}
