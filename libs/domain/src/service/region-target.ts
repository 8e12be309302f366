import { z } from 'zod';

/**
 * A region's deployment target as typed fields, one object per kind (registerService's
 * `target`), instead of an endpoint URL written by hand. Exactly one kind is given; it becomes
 * the endpoint URL the topology stores (docs/TARGETS.md), so each field's error names the field.
 * Secrets are named by reference only: there is no field that takes one.
 */
const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name (letters, digits, underscores)');
const absolutePath = z.string().regex(/^\/[^\0]*$/, 'must be an absolute file path');

const httpTargetSchema = z.strictObject({
  url: z.string().min(1, 'must not be empty'),
});

const etcdTargetSchema = z
  .strictObject({
    endpoints: z
      .array(z.string().regex(/^[A-Za-z0-9.-]+:[0-9]{1,5}$|^\[[0-9A-Fa-f:.]+\]:[0-9]{1,5}$/, 'must be host:port'))
      .min(1, 'an etcd target names at least one host:port'),
    key: z
      .string()
      .min(1, 'must not be empty')
      .refine((k) => !k.startsWith('/'), 'is a key without a leading slash, e.g. sluice/app/eu-1')
      // a URL path resolves `.` and `..`: app/../payments would become another key
      .refine((k) => !k.split('/').some((seg) => seg === '.' || seg === '..'), 'must not hold . or .. segments'),
    user: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, dots, dashes or underscores')
      .optional(),
    passwordEnv: envName.optional(),
    passwordFile: absolutePath.optional(),
  })
  .refine((t) => !(t.passwordEnv && t.passwordFile), {
    message: 'name the password once: passwordEnv or passwordFile',
    path: ['passwordFile'],
  });

const gitTargetSchema = z.strictObject({
  remote: z
    .string()
    .regex(
      /^(file|ssh|https?):\/\/[^?#\s]+$/,
      'must be a file://, ssh:// or http(s):// repository URL without a query',
    ),
  branch: z.string().min(1, 'must not be empty').default('main'),
  path: z.string().min(1, 'must not be empty'),
  /** For an http(s) remote: the worker's variable, or a file, holding the token (sent as the password). */
  tokenEnv: envName.optional(),
  tokenFile: absolutePath.optional(),
  /** For an ssh remote: the worker's variable, or a file, holding the private key; and the host keys to trust. */
  sshKeyEnv: envName.optional(),
  sshKeyFile: absolutePath.optional(),
  knownHostsFile: absolutePath.optional(),
});

const unleashTargetSchema = z
  .strictObject({
    url: z.string().regex(/^https?:\/\/[^?#\s]+$/, 'must be the Unleash server’s http(s) URL without a query'),
    project: z.string().min(1).default('default'),
    flag: z.string().min(1, 'must not be empty'),
    environment: z.string().min(1, 'must not be empty'),
    tokenEnv: envName.optional(),
    tokenFile: absolutePath.optional(),
  })
  .refine((t) => !(t.tokenEnv && t.tokenFile), {
    message: 'name the token once: tokenEnv or tokenFile',
    path: ['tokenFile'],
  });

const kubernetesName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, 'must be a Kubernetes name: lowercase letters, digits, "-" and "."');

const kubernetesTargetSchema = z
  .strictObject({
    server: z
      .string()
      .regex(/^https:\/\/[^/?#\s]+\/?$/, 'must be the API server’s https URL, e.g. https://10.0.0.1:6443'),
    namespace: kubernetesName,
    configMap: kubernetesName,
    key: z
      .string()
      .regex(/^[-._a-zA-Z0-9]{1,253}$/, 'must be a ConfigMap key')
      .default('config.json'),
    tokenEnv: envName.optional(),
    tokenFile: absolutePath.optional(),
    caFile: absolutePath.optional(),
  })
  .refine((t) => !(t.tokenEnv && t.tokenFile), {
    message: 'name the token once: tokenEnv or tokenFile',
    path: ['tokenFile'],
  });

const targetFieldsSchema = z.strictObject({
  http: httpTargetSchema.optional(),
  etcd: etcdTargetSchema.optional(),
  git: gitTargetSchema.optional(),
  unleash: unleashTargetSchema.optional(),
  kubernetes: kubernetesTargetSchema.optional(),
});

export const regionTargetSchema = targetFieldsSchema
  .refine((t) => Object.values(t).filter((v) => v !== undefined).length === 1, {
    message: 'name exactly one kind of target: http, etcd, git, unleash or kubernetes',
  })
  .transform((t) => endpointOfTarget(t));
export type RegionTargetInput = z.input<typeof regionTargetSchema>;

/** The endpoint URL a typed target stands for; the topology's endpoint checks then apply to it. */
function endpointOfTarget(t: z.output<typeof targetFieldsSchema>): string {
  if (t.http) return t.http.url;
  if (t.etcd) {
    const user = t.etcd.user ? `${encodeURIComponent(t.etcd.user)}@` : '';
    const key = t.etcd.key.split('/').map(encodeURIComponent).join('/');
    const query = new URLSearchParams();
    if (t.etcd.passwordEnv) query.set('passwordEnv', t.etcd.passwordEnv);
    if (t.etcd.passwordFile) query.set('passwordFile', t.etcd.passwordFile);
    for (const host of t.etcd.endpoints.slice(1)) query.append('host', host);
    const q = query.size > 0 ? `?${query}` : '';
    return `etcd://${user}${t.etcd.endpoints[0]}/${key}${q}`;
  }
  if (t.unleash) {
    const { url, tokenEnv, tokenFile, ...names } = t.unleash;
    const query = new URLSearchParams(names);
    if (tokenEnv) query.set('tokenEnv', tokenEnv);
    if (tokenFile) query.set('tokenFile', tokenFile);
    return `unleash+${url}?${query}`;
  }
  if (t.kubernetes) {
    const { server, namespace, configMap, key, tokenEnv, tokenFile, caFile } = t.kubernetes;
    const query = new URLSearchParams({ key });
    if (tokenEnv) query.set('tokenEnv', tokenEnv);
    if (tokenFile) query.set('tokenFile', tokenFile);
    if (caFile) query.set('caFile', caFile);
    return `kubernetes+${server.replace(/\/$/, '')}/namespaces/${namespace}/configmaps/${configMap}?${query}`;
  }
  const { remote, branch, path, ...references } = t.git!;
  const query = new URLSearchParams({ branch, path });
  for (const [name, value] of Object.entries(references)) if (value) query.set(name, value);
  return `git+${remote}?${query}`;
}
