import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import {
  SECRET_ENV_PREFIX,
  type ChannelKind,
  type ChannelSpec,
  type Notification,
  type SecretRef,
} from '../../../domain/src';

/**
 * The port every notification sink implements: the HTTP request a channel of its kind makes
 * of a notification. Sending, retries and dead letters are the notifier's, the same for all;
 * each sink is one adapter file, registered in `./index.ts`, and passes
 * `sink-conformance.int-spec.ts`.
 */
export interface NotificationSink {
  readonly kind: ChannelKind;
  request(n: Notification, spec: ChannelSpec, context: SinkContext): HttpRequest;
}

export interface SinkContext {
  /** The channel's URL: `url`, or what `urlFrom` names, resolved now. */
  url: string;
  /** Base of the links notifications carry (SLUICE_PUBLIC_URL). */
  publicUrl: string;
  /** Resolves one of the channel's secret references now. */
  secret(ref: SecretRef): string;
}

/** A failed send. `permanent`: retrying cannot help (the receiver refused the request as such). */
export class SendError extends Error {
  constructor(
    message: string,
    readonly permanent = false,
  ) {
    super(message);
    this.name = 'SendError';
  }
}

/** Where file references must point (SLUICE_SECRETS_DIR; default /etc/sluice/secrets). */
export const secretsDir = (env: NodeJS.ProcessEnv = process.env): string =>
  env.SLUICE_SECRETS_DIR || '/etc/sluice/secrets';

/** Why a file reference is refused: outside SLUICE_SECRETS_DIR (symbolic links followed), or null. */
export function secretFileProblem(file: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const dir = resolve(secretsDir(env));
  const real = (path: string) => (existsSync(path) ? realpathSync(path) : resolve(path));
  const inside = real(file).startsWith(`${real(dir)}${sep}`);
  return inside ? null : `secret reference file ${file} is outside SLUICE_SECRETS_DIR (${dir})`;
}

/** The secret a reference names, read now (a rotated file is picked up at the next send). */
export function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): string {
  if (ref.env !== undefined) {
    if (!ref.env.startsWith(SECRET_ENV_PREFIX))
      throw new SendError(`secret reference env ${ref.env} is not a ${SECRET_ENV_PREFIX}* variable`, true);
    const value = env[ref.env];
    if (!value) throw new SendError(`secret reference env ${ref.env} is not set`);
    return value;
  }
  const file = ref.file as string;
  const outside = secretFileProblem(file, env);
  if (outside) throw new SendError(outside, true);
  try {
    const value = readFileSync(file, 'utf8').trim();
    if (!value) throw new Error('the file is empty');
    return value;
  } catch (err) {
    throw new SendError(`secret reference file ${file} cannot be read: ${(err as Error).message}`);
  }
}

export interface HttpRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The link to a rollout's page on the board. */
export const rolloutPageUrl = (publicUrl: string, rolloutId: string): string =>
  `${publicUrl.replace(/\/+$/, '')}/ui/rollouts/${encodeURIComponent(rolloutId)}`;

/** The data every sink carries: the notification and the rollout's page. */
export const dataOf = (n: Notification, publicUrl: string) => ({ ...n, url: rolloutPageUrl(publicUrl, n.rolloutId) });

/** The receiver's answer said "do not try again": a client error other than timeout and rate limit. */
const isPermanent = (status: number): boolean => status >= 400 && status < 500 && status !== 408 && status !== 429;

/** POSTs the request; a non-2xx answer or no answer within `timeoutMs` is a {@link SendError}. */
export async function send(request: HttpRequest, timeoutMs: number): Promise<void> {
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message);
    throw new SendError(`${new URL(request.url).host}: ${why}`);
  }
  const text = await response.text().catch(() => '');
  if (response.ok) return;
  throw new SendError(
    `${new URL(request.url).host} answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`,
    isPermanent(response.status),
  );
}
