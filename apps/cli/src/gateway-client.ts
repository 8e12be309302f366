import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { CliError } from './errors';

interface GraphQLErrorBody {
  message: string;
  extensions?: {
    code?: string;
    fields?: Array<{ field: string; message: string }>;
    violations?: Array<{ rule: string; message: string; regions?: string[] }>;
  };
}

/** What the gateway's errors carry, as lines under the message: failing fields, broken plan rules. */
function detailsOf(error: GraphQLErrorBody): string[] {
  const fields = (error.extensions?.fields ?? []).map((f) => `${f.field}: ${f.message}`);
  // a redundancy rule's message already names its rule and regions; a plan rule's does not
  const violations = (error.extensions?.violations ?? []).map((v) =>
    v.message.startsWith(`${v.rule}: `)
      ? v.message
      : `${v.rule}: ${v.message}${v.regions?.length ? ` (${v.regions.join(', ')})` : ''}`,
  );
  return [...fields, ...violations];
}

function toCliError(error: GraphQLErrorBody): CliError {
  const code = error.extensions?.code ?? 'INTERNAL';
  // the message often repeats the fields already listed below it: keep its first clause
  const details = detailsOf(error);
  const message = details.length > 0 ? error.message.replace(/:\s.*$/s, '') : error.message;
  return new CliError(code, message, details);
}

/** The gateway over GraphQL (queries and mutations by POST, the subscription over graphql-ws). */
export class GatewayClient {
  readonly endpoint: string;

  constructor(
    server: string,
    private readonly token: string,
  ) {
    this.endpoint = `${server.replace(/\/+$/, '').replace(/\/graphql$/, '')}/graphql`;
  }

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new CliError('SERVER_UNREACHABLE', `cannot reach the gateway at ${this.endpoint}: ${why}`, [
        'is Sluice running (npm start)? is the server in `sluice config`, SLUICE_SERVER or --server right?',
      ]);
    }
    const text = await response.text();
    let body: { data?: T; errors?: GraphQLErrorBody[] };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new CliError('BAD_RESPONSE', `the gateway answered ${response.status} without JSON: ${text.slice(0, 200)}`);
    }
    if (body.errors?.length) throw toCliError(body.errors[0]);
    if (!body.data) throw new CliError('BAD_RESPONSE', `the gateway answered ${response.status} with no data`);
    return body.data;
  }

  /**
   * Follows a subscription until it completes, `onNext` returns `'stop'`, or the socket fails.
   * Resolves when it ends; rejects with the gateway's error.
   */
  subscribe<T>(query: string, variables: Record<string, unknown>, onNext: (data: T) => 'stop' | void): Promise<void> {
    const client: Client = createClient({
      url: this.endpoint.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${this.token}` },
      retryAttempts: 5,
      lazy: true,
    });
    return new Promise<void>((resolve, reject) => {
      const finish = (err?: CliError) => {
        unsubscribe();
        void client.dispose();
        if (err) reject(err);
        else resolve();
      };
      const unsubscribe = client.subscribe<T>(
        { query, variables },
        {
          next: (result) => {
            if (result.errors?.length) return finish(toCliError(result.errors[0] as GraphQLErrorBody));
            if (result.data && onNext(result.data) === 'stop') finish();
          },
          error: (err) => {
            const event = err as { code?: number; reason?: string };
            if (Array.isArray(err)) return finish(toCliError(err[0] as GraphQLErrorBody));
            if (event.code === 4403) return finish(new CliError('UNAUTHENTICATED', 'the gateway refused the token'));
            finish(
              new CliError(
                'SERVER_UNREACHABLE',
                `the live stream from ${this.endpoint} failed: ${event.reason || String(err)}`,
              ),
            );
          },
          complete: () => finish(),
        },
      );
    });
  }
}
