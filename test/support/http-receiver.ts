import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The status it was answered with. */
  status: number;
}

/**
 * A real HTTP server on 127.0.0.1 that records what it is sent: a webhook, Slack or Grafana
 * receiver. `answer` decides each status (200 by default); `refuseConnections` makes it drop
 * every connection, as a receiver that is down does.
 */
export class HttpReceiver {
  readonly requests: ReceivedRequest[] = [];
  answer: (req: Omit<ReceivedRequest, 'status'>) => number = () => 200;
  refuseConnections = false;
  /** How long each answer takes (a slow receiver). */
  delayMs = 0;
  private server: Server | null = null;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Requests that were answered 2xx. */
  get accepted(): ReceivedRequest[] {
    return this.requests.filter((r) => r.status < 300);
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      if (this.refuseConnections) {
        req.socket.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const request = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        const status = this.answer(request);
        setTimeout(() => {
          this.requests.push({ ...request, status });
          res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'unavailable');
        }, this.delayMs);
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
