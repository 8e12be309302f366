import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ErrorCode, isSluiceError } from '../../../../libs/domain/src';
import { affectedCustomersCsv } from '../../../../libs/insight/src';
import { bearerToken } from '../auth/auth.guard';
import { hasRole } from '../auth/principal';
import type { TokenRegistry } from '../auth/token-registry';
import { TOKEN_REGISTRY } from '../gateway.tokens';
import { InsightService } from './insight.service';

const fail = (res: Response, status: number, code: string, message: string) =>
  void res.status(status).json({ error: { code, message } });

/**
 * `GET /rollouts/:id/affected-customers.csv`: the rollout's affected customers for the
 * communications team (viewer role, bearer token): customer, region, exposure window, rolled back.
 */
@Controller('rollouts')
export class AffectedCustomersController {
  constructor(
    @Inject(TOKEN_REGISTRY) private readonly tokens: TokenRegistry,
    private readonly insight: InsightService,
  ) {}

  @Get(':id/affected-customers.csv')
  async csv(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const token = bearerToken(req.headers.authorization);
    const principal = token ? this.tokens.resolve(token) : undefined;
    if (!principal) return fail(res, 401, ErrorCode.Unauthenticated, 'send "Authorization: Bearer <token>"');
    if (!hasRole(principal, 'viewer')) {
      return fail(res, 403, ErrorCode.Forbidden, `${principal.name} may not read rollouts; this needs the viewer role`);
    }
    try {
      const rows = await this.insight.affectedCustomers(id);
      const file = `${id.replace(/[^A-Za-z0-9._-]/g, '_')}-affected-customers.csv`;
      res
        .status(200)
        .type('text/csv; charset=utf-8')
        .set('content-disposition', `attachment; filename="${file}"`)
        .send(affectedCustomersCsv(rows));
    } catch (err) {
      if (isSluiceError(err) && err.code === ErrorCode.NotFound) return fail(res, 404, err.code, err.message);
      throw err;
    }
  }
}
