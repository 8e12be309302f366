import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../libs/platform/src/free-port';
import { projectRoot } from '../../libs/platform/src/project-root';
import { startEtcd, type EtcdServer } from './etcd-server';

export const KUBE_APISERVER_VERSION = 'v1.34.2';
const BUILD_SCRIPT = 'scripts/build-kube-apiserver.sh';
const READY_WITHIN_MS = 60_000;
const STOP_WITHIN_MS = 5_000;

const run = promisify(execFile);

/** `KUBE_APISERVER_BIN`, else the one `scripts/build-kube-apiserver.sh` builds under `.tools/`. */
export function kubeApiServerBinary(): string {
  return (
    process.env.KUBE_APISERVER_BIN ??
    join(projectRoot(__dirname), '.tools', `kube-apiserver-${KUBE_APISERVER_VERSION}`, 'kube-apiserver')
  );
}

export function kubeApiServerInstalled(): boolean {
  return existsSync(kubeApiServerBinary());
}

/**
 * A real kube-apiserver (built from source, no kubelet, no controllers) on a loopback port of
 * its own, over TLS signed by a CA made for it, storing in a throwaway etcd.
 */
export interface KubeApiServer {
  /** `https://127.0.0.1:port` */
  url: string;
  /** The CA that signed the serving certificate (for 127.0.0.1 and localhost), as a file and as PEM. */
  caFile: string;
  caPem: string;
  /** A bearer token in `system:masters`: may do anything. */
  adminToken: string;
  /** A bearer token the server knows but RBAC grants nothing: 403 on every resource. */
  readonlyToken: string;
  stop(): Promise<void>;
}

/**
 * Starts etcd, then kube-apiserver with static tokens and RBAC, and waits for `/readyz` (4-6 s in all).
 * Without a controller manager a deleted namespace stays `Terminating`: give each spec a fresh one.
 */
export async function startKubeApiServer(): Promise<KubeApiServer> {
  const binary = kubeApiServerBinary();
  if (!existsSync(binary)) {
    throw new Error(
      `kube-apiserver ${KUBE_APISERVER_VERSION} not found at ${binary}: build it with \`bash ${BUILD_SCRIPT}\` ` +
        '(about 10 min, needs Go and the Go module proxy) or set KUBE_APISERVER_BIN',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'sluice-kube-'));
  let etcd: EtcdServer | undefined;
  try {
    const pki = await makePki(dir);
    const tokens = { adminToken: 'sluice-kube-admin', readonlyToken: 'sluice-kube-readonly' };
    const tokenFile = join(dir, 'tokens.csv');
    // token,user,uid,"groups"
    writeFileSync(
      tokenFile,
      `${tokens.adminToken},admin,admin-uid,"system:masters"\n${tokens.readonlyToken},readonly,readonly-uid\n`,
      { mode: 0o600 },
    );
    etcd = await startEtcd();
    const port = await freePort();
    const url = `https://127.0.0.1:${port}`;
    const child: ChildProcess = spawn(
      binary,
      [
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${port}`,
        `--etcd-servers=http://${etcd.address}`,
        `--tls-cert-file=${pki.serverCert}`,
        `--tls-private-key-file=${pki.serverKey}`,
        `--cert-dir=${join(dir, 'cert-dir')}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${pki.serviceAccountPublicKey}`,
        `--service-account-signing-key-file=${pki.serviceAccountKey}`,
        `--token-auth-file=${tokenFile}`,
        '--anonymous-auth=false',
        '--authorization-mode=RBAC',
        '--service-cluster-ip-range=10.96.0.0/16',
        // the `kubernetes` Service's endpoints would be 127.0.0.1, which the API refuses, every 10 s
        '--endpoint-reconciler-type=none',
        '--profiling=false',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
    child.once('error', (err) => (stderr += `\n${err.message}`));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const ownEtcd = etcd;
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, STOP_WITHIN_MS)))]);
        clearTimeout(timer);
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
          await exited;
        }
      }
      await ownEtcd.stop();
      rmSync(dir, { recursive: true, force: true });
    };

    const deadline = Date.now() + READY_WITHIN_MS;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        await stop();
        throw new Error(`kube-apiserver exited before it was ready: ${stderr}`);
      }
      if ((await readyz(url, pki.caPem, tokens.adminToken)) === 200) break;
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`kube-apiserver did not answer /readyz 200 within ${READY_WITHIN_MS / 1000} s: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return { url, caFile: pki.caCert, caPem: pki.caPem, ...tokens, stop };
  } catch (err) {
    // stop() above already cleaned up when the server itself failed; this covers what came before it
    if (existsSync(dir)) {
      await etcd?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    throw err;
  }
}

interface Pki {
  caCert: string;
  caPem: string;
  serverCert: string;
  serverKey: string;
  serviceAccountKey: string;
  serviceAccountPublicKey: string;
}

/** A CA, a serving certificate for 127.0.0.1 and localhost signed by it, and the service-account key pair. */
async function makePki(dir: string): Promise<Pki> {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  // prettier-ignore
  await openssl(
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=sluice-test-kube-ca',
    '-keyout', file('ca.key'), '-out', file('ca.crt'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  );
  // prettier-ignore
  await openssl(
    'req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=kube-apiserver',
    '-keyout', file('apiserver.key'), '-out', file('apiserver.csr'),
  );
  writeFileSync(
    file('apiserver.ext'),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ].join('\n'),
  );
  // prettier-ignore
  await openssl(
    'x509', '-req', '-in', file('apiserver.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'),
    '-CAcreateserial', '-days', '2', '-extfile', file('apiserver.ext'), '-out', file('apiserver.crt'),
  );
  await openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', file('sa.key'));
  await openssl('pkey', '-in', file('sa.key'), '-pubout', '-out', file('sa.pub'));
  return {
    caCert: file('ca.crt'),
    caPem: readFileSync(file('ca.crt'), 'utf8'),
    serverCert: file('apiserver.crt'),
    serverKey: file('apiserver.key'),
    serviceAccountKey: file('sa.key'),
    serviceAccountPublicKey: file('sa.pub'),
  };
}

/** The status `/readyz` answers, 0 when nothing does yet. */
function readyz(url: string, ca: string, token: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      `${url}/readyz`,
      { ca, headers: { authorization: `Bearer ${token}` }, timeout: 2_000 },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
    req.end();
  });
}

/** One API call as the cluster admin (namespaces, edits by hand in the specs): status and parsed body. */
export function kubeRequest(
  server: KubeApiServer,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; body: Record<string, unknown> }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}${path}`,
      {
        method,
        ca: server.caPem,
        headers: {
          authorization: `Bearer ${server.adminToken}`,
          accept: 'application/json',
          ...(payload ? { 'content-type': contentType } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || '{}') as Record<string, unknown> }),
        );
      },
    );
    req.once('error', reject);
    req.end(payload);
  });
}

/** A namespace for one spec: a deleted one stays Terminating without a controller manager. */
export async function createNamespace(server: KubeApiServer, name: string): Promise<void> {
  const res = await kubeRequest(server, 'POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
  if (res.status !== 201) throw new Error(`creating namespace ${name}: ${res.status} ${JSON.stringify(res.body)}`);
}
