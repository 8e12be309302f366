import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { ErrorCode, SluiceError } from '../../domain/src';
import { describeCredentials, withoutSecrets, type MonitoringConnection } from './monitoring-connection';

/** An answer as read: its status and body text. */
export interface MonitoringAnswer {
  status: number;
  text: string;
}

/** Larger answers (a query_range over weeks at a fine step) are refused rather than held in memory. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/** One keep-alive pool per connection, with its TLS options: node:https takes them per agent. */
const agents = new WeakMap<MonitoringConnection, HttpAgent>();

function agentFor(connection: MonitoringConnection): HttpAgent {
  let agent = agents.get(connection);
  if (!agent) {
    const { tls } = connection;
    agent = connection.url.startsWith('https:')
      ? new HttpsAgent({
          keepAlive: true,
          ca: tls?.ca,
          cert: tls?.cert,
          key: tls?.key,
          servername: tls?.serverName,
          rejectUnauthorized: !tls?.insecureSkipVerify,
        })
      : new HttpAgent({ keepAlive: true });
    agents.set(connection, agent);
  }
  return agent;
}

function requestHeaders(connection: MonitoringConnection): Record<string, string> {
  const { auth } = connection;
  const authorization = !auth
    ? undefined
    : 'bearer' in auth
      ? `Bearer ${auth.bearer.reveal()}`
      : `Basic ${Buffer.from(`${auth.username}:${auth.password.reveal()}`).toString('base64')}`;
  return {
    accept: 'application/json',
    'user-agent': 'sluice',
    ...connection.headers,
    ...(authorization ? { authorization } : {}),
  };
}

/**
 * `GET {url}{path}` on a monitoring system (Prometheus, Alertmanager) with the connection's
 * credentials, headers and TLS. No answer within `timeoutMs`, a redirect (not followed: it
 * would carry the credentials elsewhere) or an oversized answer is METRICS_UNAVAILABLE; 401
 * and 403 are MONITORING_UNAUTHORIZED, saying which credentials were sent but never their
 * value. Reading any other answer is the caller's.
 */
export async function monitoringGet(
  system: string,
  conn: MonitoringConnection,
  path: string,
  timeoutMs: number,
): Promise<MonitoringAnswer> {
  const where = `${system} at ${conn.url}`;
  const signal = AbortSignal.timeout(timeoutMs);
  const url = `${conn.url.replace(/\/+$/, '')}${path}`;
  const headers = requestHeaders(conn);
  const answer = await new Promise<MonitoringAnswer & { location?: string }>((resolve, reject) => {
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = send(url, { agent: agentFor(conn), headers, signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) req.destroy(new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('the answer was cut off')));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          location: res.headers.location,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  }).catch((err: Error) => {
    const why = signal.aborted ? `no answer within ${timeoutMs} ms` : err.message;
    throw new SluiceError(ErrorCode.MetricsUnavailable, `${where} did not answer: ${withoutSecrets(conn, why)}`, {
      url: conn.url,
    });
  });
  if (answer.status === 401 || answer.status === 403) {
    throw new SluiceError(
      ErrorCode.MonitoringUnauthorized,
      `${where} refused Sluice's credentials (HTTP ${answer.status}; ${describeCredentials(conn)}): ${excerpt(conn, answer.text)}`,
      { url: conn.url, status: answer.status },
    );
  }
  if (answer.status >= 300 && answer.status < 400) {
    throw new SluiceError(
      ErrorCode.MetricsUnavailable,
      `${where} redirected (HTTP ${answer.status}) to ${answer.location ?? 'nowhere'}; not followed: set the URL it redirects to`,
      { url: conn.url },
    );
  }
  return { status: answer.status, text: answer.text };
}

/** The start of an answer for a message, one line, secrets taken out. */
export function excerpt(connection: MonitoringConnection, text: string): string {
  // secrets out first: a cut could otherwise leave part of one
  return withoutSecrets(connection, text).trim().replace(/\s+/g, ' ').slice(0, 200) || '(empty answer)';
}
