import { Controller, Get, Inject, Param, Res, ServiceUnavailableException } from '@nestjs/common';
import type { Response } from 'express';
import { existsSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import { projectRoot } from '../../../../libs/platform/src/project-root';
import { DEV_TOKENS } from '../auth/token-registry';
import type { GatewayConfig } from '../gateway.config';
import { GATEWAY_SETTINGS } from '../gateway.tokens';

/** Where `npm run build` puts the web board (Vite, apps/web). */
export const WEB_DIST = join(projectRoot(__dirname), 'dist', 'web');

/**
 * The rollout board under /ui: static files built by Vite, and index.html for every page
 * path, so each page is linkable. `/` redirects here. Hashed assets are cached for a year;
 * index.html never is, so a new build is picked up on the next load.
 */
@Controller()
export class WebController {
  constructor(@Inject(GATEWAY_SETTINGS) private readonly config: GatewayConfig) {}

  @Get()
  root(@Res() res: Response): void {
    res.redirect(302, '/ui/');
  }

  /** Development mode only: the dev tokens, one click away on the sign-in page. */
  @Get('ui/dev-tokens.json')
  devTokens(@Res() res: Response): void {
    const tokens = this.config.development
      ? [DEV_TOKENS.admin, DEV_TOKENS.approver].map((t) => ({ name: t.principal, roles: t.roles, token: t.token }))
      : [];
    res.set('cache-control', 'no-store').json({ development: this.config.development, tokens });
  }

  @Get('ui/assets/:file')
  asset(@Param('file') file: string, @Res() res: Response): void {
    const path = normalize(join(WEB_DIST, 'assets', file));
    if (!path.startsWith(join(WEB_DIST, 'assets') + sep) || !existsSync(path)) {
      res.status(404).type('text/plain').send('no such asset');
      return;
    }
    res.set('cache-control', 'public, max-age=31536000, immutable').sendFile(path);
  }

  @Get(['ui', 'ui/*path'])
  page(@Res() res: Response): void {
    const index = join(WEB_DIST, 'index.html');
    if (!existsSync(index)) {
      throw new ServiceUnavailableException('the web board is not built: run `npm run build`');
    }
    res.set('cache-control', 'no-cache').sendFile(index);
  }
}
