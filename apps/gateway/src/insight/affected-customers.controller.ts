import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ErrorCode, isSluiceError } from '../../../../libs/domain/src';
import { affectedCustomersCsv } from '../../../../libs/insight/src';
import { authorizeRest, sendError } from '../auth/rest-auth';
import type { TokenRegistry } from '../auth/token-registry';
import { TOKEN_REGISTRY } from '../gateway.tokens';
import { InsightService } from './insight.service';

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
    if (!authorizeRest(this.tokens, req, res, 'viewer', 'read rollouts')) return;
    try {
      const rows = await this.insight.affectedCustomers(id);
      const file = `${id.replace(/[^A-Za-z0-9._-]/g, '_')}-affected-customers.csv`;
      res
        .status(200)
        .type('text/csv; charset=utf-8')
        .set('content-disposition', `attachment; filename="${file}"`)
        .send(affectedCustomersCsv(rows));
    } catch (err) {
      if (isSluiceError(err) && err.code === ErrorCode.NotFound) return sendError(res, 404, err.code, err.message);
      throw err;
    }
  }
}
