import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ErrorCode, isSluiceError } from '../../../../libs/domain/src';
import {
  affectedCustomersCsv,
  affectedCustomersJson,
  type AffectedCustomersReport,
} from '../../../../libs/insight/src';
import { authorizeRest, sendError } from '../auth/rest-auth';
import type { TokenRegistry } from '../auth/token-registry';
import { TOKEN_REGISTRY } from '../gateway.tokens';
import { InsightService } from './insight.service';

const fileName = (id: string, ext: string) => `${id.replace(/[^A-Za-z0-9._-]/g, '_')}-affected-customers.${ext}`;

/**
 * The rollout's affected customers for the communications team (viewer role, bearer token),
 * in outreach order with their exposure and severity:
 * `GET /rollouts/:id/affected-customers.csv` and `GET /rollouts/:id/affected-customers.json`.
 */
@Controller('rollouts')
export class AffectedCustomersController {
  constructor(
    @Inject(TOKEN_REGISTRY) private readonly tokens: TokenRegistry,
    private readonly insight: InsightService,
  ) {}

  @Get(':id/affected-customers.csv')
  async csv(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.export(id, req, res, (report) =>
      res
        .status(200)
        .type('text/csv; charset=utf-8')
        .set('content-disposition', `attachment; filename="${fileName(id, 'csv')}"`)
        .send(affectedCustomersCsv(report.customers)),
    );
  }

  @Get(':id/affected-customers.json')
  async json(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.export(id, req, res, (report) =>
      res
        .status(200)
        .set('content-disposition', `attachment; filename="${fileName(id, 'json')}"`)
        .json(affectedCustomersJson(report)),
    );
  }

  private async export(
    id: string,
    req: Request,
    res: Response,
    send: (report: AffectedCustomersReport) => void,
  ): Promise<void> {
    if (!authorizeRest(this.tokens, req, res, 'viewer', 'read rollouts')) return;
    try {
      send(await this.insight.affectedCustomersReport(id));
    } catch (err) {
      if (isSluiceError(err) && err.code === ErrorCode.NotFound) return sendError(res, 404, err.code, err.message);
      if (isSluiceError(err) && err.code === ErrorCode.BadUserInput)
        return sendError(res, 400, err.code, err.message, err.details);
      throw err;
    }
  }
}
