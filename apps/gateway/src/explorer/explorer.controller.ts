import { Controller, Get, Header, Inject, NotFoundException, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { dirname, join } from 'node:path';
import { DEV_TOKENS } from '../auth/token-registry';
import type { GatewayConfig } from '../gateway.config';
import { GATEWAY_SETTINGS } from '../gateway.tokens';

/**
 * The interactive GraphQL explorer, served entirely from this process (GraphiQL and React
 * from node_modules), so it works with no network. Off in production unless
 * SLUICE_EXPLORER=true.
 */
const ASSETS: Record<string, { pkg: string; file: string; type: string }> = {
  'react.js': { pkg: 'react', file: 'umd/react.production.min.js', type: 'text/javascript' },
  'react-dom.js': { pkg: 'react-dom', file: 'umd/react-dom.production.min.js', type: 'text/javascript' },
  'graphiql.js': { pkg: 'graphiql', file: 'graphiql.min.js', type: 'text/javascript' },
  'graphiql.css': { pkg: 'graphiql', file: 'graphiql.min.css', type: 'text/css' },
};

/** Files inside a package, found from its package.json (its "exports" hide the UMD builds from require). */
function assetPath(pkg: string, file: string): string {
  return join(dirname(require.resolve(`${pkg}/package.json`)), file);
}

/** The explorer's own script, a file rather than inline so the CSP can forbid inline scripts. */
function script(defaultHeaders: string): string {
  return `const fetcher = GraphiQL.createFetcher({ url: '/graphql' });
ReactDOM.createRoot(document.getElementById('explorer')).render(
  React.createElement(GraphiQL, { fetcher, defaultHeaders: ${JSON.stringify(defaultHeaders)}, shouldPersistHeaders: true }),
);
`;
}

function page(): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Sluice GraphQL explorer</title>
  <link rel="stylesheet" href="/explorer/assets/graphiql.css">
  <style>body { margin: 0; height: 100vh; } #explorer { height: 100vh; }</style>
</head>
<body>
  <div id="explorer"></div>
  <script src="/explorer/assets/react.js"></script>
  <script src="/explorer/assets/react-dom.js"></script>
  <script src="/explorer/assets/graphiql.js"></script>
  <script src="/explorer/assets/explorer.js"></script>
</body>
</html>`;
}

@Controller('explorer')
export class ExplorerController {
  constructor(@Inject(GATEWAY_SETTINGS) private readonly config: GatewayConfig) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  index(): string {
    this.assertEnabled();
    return page();
  }

  @Get('assets/:file')
  asset(@Param('file') file: string, @Res() res: Response): void {
    this.assertEnabled();
    if (file === 'explorer.js') {
      const headers = this.config.development
        ? JSON.stringify({ Authorization: `Bearer ${DEV_TOKENS.admin.token}` }, null, 2)
        : JSON.stringify({ Authorization: 'Bearer <your token>' }, null, 2);
      return void res.type('text/javascript').send(script(headers));
    }
    const asset = ASSETS[file];
    if (!asset) throw new NotFoundException();
    res.type(asset.type).sendFile(assetPath(asset.pkg, asset.file));
  }

  private assertEnabled(): void {
    if (!this.config.explorer) throw new NotFoundException('the explorer is off (SLUICE_EXPLORER=true turns it on)');
  }
}
