import type { Command } from 'commander';
import { resolveContext } from './contexts';
import { GatewayClient } from './gateway-client';
import { colourEnabled, outputFormat, painter, STATUS_COLOURS, type OutputFormat, type Paint } from './output';

/** What every command shares: the global options, read once the command line is parsed. */
export class Session {
  private gateway?: GatewayClient;
  readonly paint: Paint = painter(colourEnabled());

  constructor(private readonly program: Command) {}

  private get options(): { context?: string; server?: string; token?: string; output?: string } {
    return this.program.opts();
  }

  /** The gateway of `--server`/`--token`, else of the context (SLUICE_SERVER and SLUICE_TOKEN override it). */
  client(): GatewayClient {
    if (!this.gateway) {
      const { server, token } = this.options;
      const env = {
        ...process.env,
        ...(server ? { SLUICE_SERVER: server } : {}),
        ...(token ? { SLUICE_TOKEN: token } : {}),
      };
      const context = resolveContext({ context: this.options.context }, env);
      this.gateway = new GatewayClient(context.server, context.token);
    }
    return this.gateway;
  }

  format(): OutputFormat {
    return outputFormat(this.options.output);
  }

  paintStatus(status: string): string {
    return this.paint(STATUS_COLOURS[status] ?? 'grey', status);
  }
}
