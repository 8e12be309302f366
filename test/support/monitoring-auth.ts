import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import type { WebConfig } from '../../libs/platform/src/monitoring-servers';
import { monitoringGet } from '../../libs/targets/src/monitoring-get';
import { Secret, type MonitoringConnection } from '../../libs/targets/src/monitoring-connection';

/** The user Prometheus and Alertmanager require in the auth specs; the hash is bcrypt (cost 4) of the password. */
export const MONITORING_USER = {
  username: 'sluice',
  password: 'sluice-monitoring-test',
  bcrypt: '$2a$04$Ji9gp7ySFFR9RZ6O.pWUt.rdSrs00AxdDuEtF7xqjrlucHTNKYy4.',
};

/** PEM files of a throwaway CA, a server certificate for `prometheus.test` only, and a client certificate. */
export interface TestCertificates {
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  serverName: string;
}

/** Made with openssl in `dir`: the server certificate names `prometheus.test`, not 127.0.0.1. */
export function makeCertificates(dir: string): TestCertificates {
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=sluice-test-ca',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
  );
  const sign = (name: string, subject: string, extensions: string) => {
    writeFileSync(f(`${name}.ext`), extensions);
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      subject,
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.csr`),
    );
    openssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      f(`${name}.pem`),
      '-extfile',
      f(`${name}.ext`),
    );
  };
  sign('server', '/CN=prometheus.test', 'subjectAltName=DNS:prometheus.test\nextendedKeyUsage=serverAuth\n');
  sign('client', '/CN=sluice', 'extendedKeyUsage=clientAuth\n');
  return {
    caFile: f('ca.pem'),
    serverCertFile: f('server.pem'),
    serverKeyFile: f('server.key'),
    clientCertFile: f('client.pem'),
    clientKeyFile: f('client.key'),
    serverName: 'prometheus.test',
  };
}

/** The connection the auth specs' servers accept: the user, and with `tls` the CA, name and client certificate. */
export function authorizedConnection(url: string, tls?: TestCertificates): MonitoringConnection {
  return {
    url,
    auth: { username: MONITORING_USER.username, password: new Secret(MONITORING_USER.password, 'the test') },
    ...(tls
      ? {
          tls: {
            ca: readFileSync(tls.caFile, 'utf8'),
            cert: readFileSync(tls.clientCertFile, 'utf8'),
            key: readFileSync(tls.clientKeyFile, 'utf8'),
            serverName: tls.serverName,
          },
        }
      : {}),
  };
}

/** `--web.config.file` requiring MONITORING_USER; with `tls`, also HTTPS and a client certificate from the CA. */
export function webConfig(tls?: TestCertificates): WebConfig {
  const yaml = [
    'basic_auth_users:',
    `  ${MONITORING_USER.username}: ${JSON.stringify(MONITORING_USER.bcrypt)}`,
    ...(tls
      ? [
          'tls_server_config:',
          `  cert_file: ${JSON.stringify(tls.serverCertFile)}`,
          `  key_file: ${JSON.stringify(tls.serverKeyFile)}`,
          '  client_auth_type: RequireAndVerifyClientCert',
          `  client_ca_file: ${JSON.stringify(tls.caFile)}`,
        ]
      : []),
  ].join('\n');
  return {
    yaml,
    scheme: tls ? 'https' : 'http',
    ready: async (url) =>
      (await monitoringGet('ready', authorizedConnection(url, tls), '/-/ready', 1_000)).status === 200,
  };
}

/**
 * An HTTP proxy on 127.0.0.1 in front of a real server, as an auth gateway is: it records the
 * headers of every request, answers 401 unless the bearer token is `token`, and forwards with
 * `upstreamAuthorization` in place of the token.
 */
export async function startAuthGateway(options: {
  upstream: string;
  token: string;
  upstreamAuthorization: string;
}): Promise<{ url: string; seen: IncomingHttpHeaders[]; stop(): Promise<void> }> {
  const seen: IncomingHttpHeaders[] = [];
  const upstream = new URL(options.upstream);
  const server: Server = createServer((req, res) => {
    seen.push(req.headers);
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized\n');
      return;
    }
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: upstream.host, authorization: options.upstreamAuthorization },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.writeHead(502).end());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
