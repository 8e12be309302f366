import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { z } from 'zod';
import { ErrorCode, SluiceError } from '../../domain/src';
import { ConfigError, loadEnv, pemFile } from '../../platform/src/config';

/**
 * A credential's text. Printing, inspecting or serialising it (a logged config, an error's
 * details) shows only where it came from; `reveal()` is for the request header alone. One
 * from a file is read again at each use, as Prometheus reads its credentials_file: a token
 * that a sidecar or an agent rotates (Vault, a Kubernetes projected token) needs no restart.
 */
export class Secret {
  readonly #value: string | (() => string);

  constructor(
    value: string | (() => string),
    /** The variable it came from, and its file if any: what a message may show. */
    readonly from: string,
  ) {
    this.#value = value;
  }

  reveal(): string {
    return typeof this.#value === 'string' ? this.#value : this.#value();
  }

  toString(): string {
    return `[secret from ${this.from}]`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** How to reach a Prometheus-compatible API or an Alertmanager: one shape for both clients. */
export interface MonitoringConnection {
  url: string;
  /** A bearer token (Authorization: Bearer) or basic auth; none by default. */
  auth?: { bearer: Secret } | { username: string; password: Secret };
  /** Sent with every request, e.g. `X-Scope-OrgID` for Mimir, Cortex or Thanos tenancy. */
  headers?: Record<string, string>;
  /** For an https:// URL: PEM text of the CA and the client certificate and key, as read at start-up. */
  tls?: { ca?: string; cert?: string; key?: string; serverName?: string; insecureSkipVerify?: boolean };
}

/** A bare URL is a connection with nothing else (tests, a local Prometheus). */
export const asConnection = (c: MonitoringConnection | string): MonitoringConnection =>
  typeof c === 'string' ? { url: c } : c;

export type MonitoringSystem = 'PROMETHEUS' | 'ALERTMANAGER';

export const DEFAULT_MONITORING_URLS: Record<MonitoringSystem, string> = {
  PROMETHEUS: 'http://127.0.0.1:9090',
  ALERTMANAGER: 'http://127.0.0.1:9093',
};

const hasControlCharacters = (text: string) => [...text].some((ch) => ch.charCodeAt(0) < 0x20 || ch === '\x7f');

/** An HTTP field name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * `Name=value,Other=value`: names are HTTP tokens, each once; values have no control
 * characters (no commas either: Mimir's several tenants are `a|b`). Authorization is refused
 * here, so a credential is only ever read from the variables that keep it out of messages.
 */
function headersSchema(variable: string) {
  return z
    .string()
    .default('')
    .transform((text, ctx) => {
      const headers: Record<string, string> = {};
      for (const entry of text.split(',').map((e) => e.trim())) {
        if (entry === '') continue;
        const eq = entry.indexOf('=');
        const name = eq < 0 ? entry : entry.slice(0, eq).trim();
        const value = eq < 0 ? '' : entry.slice(eq + 1).trim();
        // quote only what comes before a ':' or a space: "X-Api-Key: s3cr3t" must not print its value
        const shown = name.split(/[:\s]/)[0].slice(0, 40);
        const problem =
          /^authorization$/i.test(shown) && (eq < 0 || !HEADER_NAME.test(name))
            ? `Authorization does not belong here: use ${variable.replace(/_HEADERS$/, '')}_BEARER_TOKEN(_FILE) or _BASIC_AUTH_*`
            : eq < 0 || !HEADER_NAME.test(name)
              ? `"${shown}" is not Name=value with an HTTP header name`
              : value === '' || hasControlCharacters(value)
                ? `${name} needs a value without control characters`
                : name.toLowerCase() === 'authorization'
                  ? `Authorization does not belong here: use ${variable.replace(/_HEADERS$/, '')}_BEARER_TOKEN(_FILE) or _BASIC_AUTH_*`
                  : Object.keys(headers).some((n) => n.toLowerCase() === name.toLowerCase())
                    ? `${name} is given twice`
                    : undefined;
        if (problem) {
          ctx.addIssue({ code: 'custom', message: `${problem} (expected Name=value,Other=value)` });
          return z.NEVER;
        }
        headers[name] = value;
      }
      return headers;
    });
}

const secretFile = pemFile.transform((text, ctx) => {
  const value = text.trim();
  if (value === '') ctx.addIssue({ code: 'custom', message: 'the file is empty' });
  return value;
});

/** Read at each use; a file gone or emptied since start-up is METRICS_UNAVAILABLE naming it. */
function fileSecret(path: string, from: string): Secret {
  return new Secret(() => {
    let value = '';
    try {
      value = readFileSync(path, 'utf8').trim();
    } catch (err) {
      throw new SluiceError(ErrorCode.MetricsUnavailable, `${from} cannot be read: ${(err as Error).message}`);
    }
    if (value === '') throw new SluiceError(ErrorCode.MetricsUnavailable, `${from} is empty`);
    return value;
  }, from);
}

const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

/**
 * `<SYSTEM>_URL` and how to reach it, from the environment (SYSTEM is PROMETHEUS or
 * ALERTMANAGER): `_BEARER_TOKEN` or `_BEARER_TOKEN_FILE`; or `_BASIC_AUTH_USERNAME` with
 * `_BASIC_AUTH_PASSWORD` or `_BASIC_AUTH_PASSWORD_FILE`; `_HEADERS`; `_TLS_CA_FILE`,
 * `_TLS_CERT_FILE`, `_TLS_KEY_FILE`, `_TLS_SERVER_NAME`, `_TLS_INSECURE_SKIP_VERIFY`. Every file
 * is checked at start-up (secret files are read again at each use); anything invalid stops the
 * process naming the variable, never a secret.
 */
export function loadMonitoringConnection(
  system: MonitoringSystem,
  env: NodeJS.ProcessEnv = process.env,
): MonitoringConnection {
  const v = (suffix: string) => `${system}_${suffix}`;
  const c = loadEnv(
    {
      [v('URL')]: z
        .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
        .refine((u) => !new URL(u).username && !new URL(u).password, {
          message: `must not carry credentials: use ${v('BASIC_AUTH_USERNAME')} and ${v('BASIC_AUTH_PASSWORD')}(_FILE)`,
        })
        .default(DEFAULT_MONITORING_URLS[system]),
      [v('BEARER_TOKEN')]: z.string().min(1).optional(),
      [v('BEARER_TOKEN_FILE')]: secretFile.optional(),
      [v('BASIC_AUTH_USERNAME')]: z.string().min(1).optional(),
      [v('BASIC_AUTH_PASSWORD')]: z.string().min(1).optional(),
      [v('BASIC_AUTH_PASSWORD_FILE')]: secretFile.optional(),
      [v('HEADERS')]: headersSchema(v('HEADERS')),
      [v('TLS_CA_FILE')]: pemFile.optional(),
      [v('TLS_CERT_FILE')]: pemFile.optional(),
      [v('TLS_KEY_FILE')]: pemFile.optional(),
      [v('TLS_SERVER_NAME')]: z.string().min(1).optional(),
      [v('TLS_INSECURE_SKIP_VERIFY')]: flag.default(false),
    },
    env,
  ) as Record<string, unknown>;
  const text = (suffix: string) => c[v(suffix)] as string | undefined;
  const problems: string[] = [];
  const exclusive = (a: string, b: string) => {
    if (text(a) !== undefined && text(b) !== undefined) problems.push(`${v(a)} and ${v(b)}: set one, not both`);
  };
  exclusive('BEARER_TOKEN', 'BEARER_TOKEN_FILE');
  exclusive('BASIC_AUTH_PASSWORD', 'BASIC_AUTH_PASSWORD_FILE');

  const secret = (suffix: string) => {
    if (text(suffix) !== undefined) return new Secret(text(suffix)!, v(suffix));
    const path = env[v(`${suffix}_FILE`)];
    return text(`${suffix}_FILE`) !== undefined && path
      ? fileSecret(path, `${v(`${suffix}_FILE`)} (${path})`)
      : undefined;
  };
  const bearer = secret('BEARER_TOKEN');
  const username = text('BASIC_AUTH_USERNAME');
  const password = secret('BASIC_AUTH_PASSWORD');
  if ((username === undefined) !== (password === undefined)) {
    problems.push(
      `${v('BASIC_AUTH_USERNAME')} and ${v('BASIC_AUTH_PASSWORD')}(_FILE): basic auth needs both a username and a password`,
    );
  }
  if (bearer && (username || password)) {
    problems.push(`${v('BEARER_TOKEN')}(_FILE) and ${v('BASIC_AUTH_*')}: use one way to authenticate, not both`);
  }

  const url = text('URL')!;
  const cert = text('TLS_CERT_FILE');
  const key = text('TLS_KEY_FILE');
  if ((cert === undefined) !== (key === undefined)) {
    problems.push(`${v('TLS_CERT_FILE')} and ${v('TLS_KEY_FILE')}: set both or neither`);
  }
  const tls = {
    ...(text('TLS_CA_FILE') !== undefined ? { ca: text('TLS_CA_FILE') } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
    ...(text('TLS_SERVER_NAME') !== undefined ? { serverName: text('TLS_SERVER_NAME') } : {}),
    ...(c[v('TLS_INSECURE_SKIP_VERIFY')] === true ? { insecureSkipVerify: true } : {}),
  };
  if (Object.keys(tls).length > 0 && new URL(url).protocol !== 'https:') {
    problems.push(`${v('TLS_*')}: TLS settings need an https:// ${v('URL')}`);
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);

  const headers = c[v('HEADERS')] as Record<string, string>;
  return {
    url,
    ...(bearer ? { auth: { bearer } } : username && password ? { auth: { username, password } } : {}),
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
  };
}

/** How the connection authenticates, as a message may say it: never the secret. */
export function describeCredentials(connection: MonitoringConnection): string {
  const { auth } = connection;
  if (!auth) return 'no credentials were sent';
  if ('bearer' in auth) return `a bearer token from ${auth.bearer.from} was sent`;
  return `basic auth as "${auth.username}" with the password from ${auth.password.from} was sent`;
}

/** Text for a message with the connection's secrets taken out (an answer that echoes them stays quiet). */
export function withoutSecrets(connection: MonitoringConnection, text: string): string {
  const { auth } = connection;
  let secret: string | undefined;
  try {
    secret = !auth ? undefined : 'bearer' in auth ? auth.bearer.reveal() : auth.password.reveal();
  } catch {
    // a file that cannot be read now holds nothing the text could show
  }
  if (!secret) return text;
  // also the forms a proxy may echo: the basic auth header's base64, and a bearer header
  const forms = [secret];
  if (auth && 'username' in auth) forms.push(Buffer.from(`${auth.username}:${secret}`).toString('base64'));
  return forms.reduce((t, form) => t.split(form).join('[redacted]'), text);
}
