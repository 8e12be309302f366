import { DEFAULT_INCIDENT_POLICY, INCIDENT_POLICIES } from '../insight/incident-policy';
import { checkScenarios, scenariosShape } from './scenarios';
import { z } from 'zod';
import { parseInput } from '../validation';
import { freezeWindowSchema } from './freeze-window';
import { recurringFreezeSchema } from './recurring-freeze';
import { DEFAULT_REDUNDANCY_POLICY, dependencyFieldSchema, redundancyPolicySchema } from './redundancy-policy';
import { regionTargetSchema } from './region-target';
import { checkTemplates, gateTemplateSchema, rolloutTemplateSchema } from './templates';

export { TARGET_KINDS, targetKindOf, type TargetKind } from './target-kind';

export const REGION_TIERS = ['canary', 'standard', 'heavy'] as const;
export type RegionTier = (typeof REGION_TIERS)[number];

/** `host:port`, or `[v6]:port`: one etcd member as an endpoint names it. */
const ETCD_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}$/;

/**
 * What is wrong with an `etcd://` endpoint (null for a good one, or another scheme). More
 * members than the URL's host are named with `?host=h2:2379&host=h3:2379` (a URL has one host).
 */
export function etcdEndpointProblem(endpoint: string): string | null {
  if (!/^etcd:/i.test(endpoint)) return null;
  const url = new URL(endpoint);
  if (url.password)
    return 'an etcd password is named by reference (?passwordEnv=NAME or ?passwordFile=/path), never inline';
  if (!url.pathname.replace(/^\/+/, '')) return 'an etcd endpoint names its key: etcd://host:port/<key>';
  // the URL parser resolves `.` and `..` segments (encoded ones too): the key would be another
  const rawPath = endpoint.replace(/^etcd:\/\/[^/]*/i, '').split(/[?#]/)[0];
  if (rawPath.split('/').some((seg) => /^(\.|%2e){1,2}$/i.test(seg)))
    return 'an etcd key must not hold . or .. segments';
  for (const name of url.searchParams.keys()) {
    if (name !== 'passwordEnv' && name !== 'passwordFile' && name !== 'host') {
      return `unknown etcd endpoint option "${name}"`;
    }
  }
  const bad = url.searchParams.getAll('host').find((h) => !ETCD_HOST.test(h));
  if (bad !== undefined) return `etcd host "${bad}" is not host:port`;
  return null;
}

/** Every etcd member an `etcd://` endpoint names: its host, then each `?host=`. */
export function etcdHosts(endpoint: string): string[] {
  const url = new URL(endpoint);
  return [url.host, ...url.searchParams.getAll('host')];
}

/** What is wrong with a `git+…` endpoint: it names a branch and a relative file path (`?branch=main&path=regions/a.json`). */
export function gitEndpointProblem(endpoint: string): string | null {
  if (!/^git\+/i.test(endpoint)) return null;
  const query = new URL(endpoint).searchParams;
  const path = query.get('path') ?? '';
  if (!path || path.startsWith('/') || path.split('/').some((s) => s === '..' || s === '.' || s === '')) {
    return 'a git endpoint names the file as a relative path: git+<remote>?branch=main&path=regions/<region>.json';
  }
  const branch = query.get('branch') ?? 'main';
  if (!/^[A-Za-z0-9._/-]+$/.test(branch) || branch.startsWith('-')) return `"${branch}" is not a branch name`;
  for (const name of query.keys()) {
    if (!['branch', 'path', 'tokenEnv', 'tokenFile', 'sshKeyEnv', 'sshKeyFile', 'knownHostsFile'].includes(name))
      return `unknown git endpoint option "${name}"`;
  }
  if (query.has('sshKeyEnv') || query.has('sshKeyFile') || query.has('knownHostsFile')) {
    if (!/^git\+ssh:/i.test(endpoint)) return 'an SSH key and known hosts are for ssh:// remotes';
    if (query.has('sshKeyEnv') && query.has('sshKeyFile')) return 'name the SSH key once: sshKeyEnv or sshKeyFile';
    for (const name of ['sshKeyFile', 'knownHostsFile']) {
      const path = query.get(name);
      if (path !== null && !path.startsWith('/')) return `${name} must be an absolute path`;
    }
  }
  if (query.has('tokenEnv') || query.has('tokenFile')) {
    if (!/^git\+https?:/i.test(endpoint))
      return 'a git token is for http(s) remotes (an ssh remote uses the worker’s SSH keys)';
    if (query.has('tokenEnv') && query.has('tokenFile')) return 'name the git token once: tokenEnv or tokenFile';
  }
  if (new URL(endpoint).password)
    return 'a git token is named by reference (?tokenEnv=NAME or ?tokenFile=/path), never inline';
  return null;
}

/** Unleash names: a project, a flag or an environment (letters, digits and `._-~`). */
const UNLEASH_NAME = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,99}$/;

/**
 * What is wrong with an `unleash+http(s)://` endpoint: it names a flag and an environment
 * (`?flag=checkout-v2&environment=eu-1`), optionally a project (default `default`), and the
 * admin token by reference only (`tokenEnv=NAME` or `tokenFile=/path`).
 */
export function unleashEndpointProblem(endpoint: string): string | null {
  if (!/^unleash\+/i.test(endpoint)) return null;
  const url = new URL(endpoint);
  if (url.username || url.password)
    return 'an Unleash token is named by reference (?tokenEnv= or ?tokenFile=), never inline';
  const query = url.searchParams;
  for (const name of query.keys()) {
    if (!['project', 'flag', 'environment', 'tokenEnv', 'tokenFile'].includes(name)) {
      return `unknown unleash endpoint option "${name}"`;
    }
  }
  for (const name of ['flag', 'environment'] as const) {
    const value = query.get(name);
    if (!value)
      return `an unleash endpoint names its ${name}: unleash+http://host:4242?flag=<flag>&environment=<environment>`;
    if (!UNLEASH_NAME.test(value)) return `"${value}" is not an Unleash ${name} name`;
  }
  const project = query.get('project');
  if (project !== null && !UNLEASH_NAME.test(project)) return `"${project}" is not an Unleash project name`;
  if (query.get('tokenEnv') && query.get('tokenFile')) return 'name the Unleash token once: tokenEnv or tokenFile';
  return null;
}

/** A Kubernetes name (RFC 1123 subdomain) for a namespace or a ConfigMap. */
const KUBERNETES_NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
/** A ConfigMap data key. */
const CONFIGMAP_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

/**
 * What is wrong with a `kubernetes+https://` endpoint: the API server, then
 * `/namespaces/<ns>/configmaps/<name>`, optionally `?key=` (default `config.json`), the token
 * by reference only (`tokenEnv=NAME` or `tokenFile=/path`) and the cluster's CA as a file (`caFile=/path`).
 */
export function kubernetesEndpointProblem(endpoint: string): string | null {
  if (!/^kubernetes\+/i.test(endpoint)) return null;
  if (!/^kubernetes\+https:/i.test(endpoint)) return 'a Kubernetes API server is spoken to over https only';
  const url = new URL(endpoint);
  if (url.username || url.password)
    return 'a Kubernetes token is named by reference (?tokenEnv= or ?tokenFile=), never inline';
  const m = /^\/namespaces\/([^/]+)\/configmaps\/([^/]+)$/.exec(url.pathname);
  if (!m)
    return 'a kubernetes endpoint names its ConfigMap: kubernetes+https://host:6443/namespaces/<namespace>/configmaps/<name>';
  if (!KUBERNETES_NAME.test(m[1]) || m[1].length > 63) return `"${m[1]}" is not a Kubernetes namespace name`;
  if (!KUBERNETES_NAME.test(m[2])) return `"${m[2]}" is not a ConfigMap name`;
  const query = url.searchParams;
  for (const name of query.keys()) {
    if (!['key', 'tokenEnv', 'tokenFile', 'caFile'].includes(name))
      return `unknown kubernetes endpoint option "${name}"`;
  }
  const key = query.get('key');
  if (key !== null && !CONFIGMAP_KEY.test(key)) return `"${key}" is not a ConfigMap key`;
  if (query.get('tokenEnv') && query.get('tokenFile')) return 'name the Kubernetes token once: tokenEnv or tokenFile';
  for (const name of ['tokenFile', 'caFile']) {
    const path = query.get(name);
    if (path !== null && !path.startsWith('/')) return `${name} must be an absolute path`;
  }
  return null;
}

/** Cloud metadata services by name and address, refused as endpoints whatever else is allowed. */
const METADATA_HOSTS = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata.azure.internal',
  '100.100.100.200',
  'fd00:ec2::254',
]);

/** A host as the WHATWG URL parser normalises it (IPv4 in any spelling becomes dotted decimal). */
function normalisedHosts(endpoint: string): string[] {
  const url = new URL(endpoint);
  // etcd:// is not a special scheme, so its hosts are not normalised: parse each host as http's
  const hosts = url.protocol === 'etcd:' ? etcdHosts(endpoint) : [url.host];
  return hosts.map((host) => {
    try {
      return new URL(`http://${host}`).hostname.replace(/^\[|\]$/g, '').toLowerCase();
    } catch {
      return host.toLowerCase();
    }
  });
}

/** An IPv4-mapped IPv6 address (::ffff:a9fe:a9fe) as the IPv4 address it carries. */
function mappedIpv4(host: string): string | null {
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!m) return null;
  const [hi, lo] = [parseInt(m[1], 16), parseInt(m[2], 16)];
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/**
 * Link-local addresses (169.254.0.0/16, fe80::/10) and cloud metadata services are never a
 * region: a config pushed there, or a probe sent there, could read or change the worker's own
 * cloud credentials. Loopback and private ranges are allowed (tests, VPCs).
 */
export function deniedAddressProblem(endpoint: string): string | null {
  for (const raw of normalisedHosts(endpoint)) {
    const host = mappedIpv4(raw) ?? raw;
    if (/^169\.254\./.test(host) || /^fe[89ab][0-9a-f]?:/.test(host) || METADATA_HOSTS.has(host)) {
      return `${raw} is a link-local or cloud metadata address, never a region`;
    }
  }
  return null;
}

/** A name usable in URLs, metric labels and Temporal ids alike. */
const slug = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters')
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'must be lowercase letters, digits and dashes');

/**
 * Where the region's config lives (docs/TARGETS.md): an http(s) URL speaking the region
 * contract, `etcd://host:port/<key>[?host=h2:port]` (a password by reference only), or a
 * `git+…://` file.
 */
const endpointSchema = z
  .url({
    protocol: /^(https?|etcd|git\+(file|ssh|https?)|unleash\+https?|kubernetes\+https)$/,
    error:
      'must be an http(s) URL, an etcd:// key, a git+…:// file, an unleash+http(s):// flag or a kubernetes+https:// ConfigMap',
  })
  .superRefine((endpoint, ctx) => {
    // zod runs this even when the URL check above failed: that failure already names the field
    if (!URL.canParse(endpoint)) return;
    const problem =
      etcdEndpointProblem(endpoint) ??
      gitEndpointProblem(endpoint) ??
      unleashEndpointProblem(endpoint) ??
      kubernetesEndpointProblem(endpoint) ??
      deniedAddressProblem(endpoint);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const regionSchema = z
  .object({
    name: slug,
    /** The target as a URL; or `target`, the same as typed fields per kind (region-target.ts). */
    endpoint: endpointSchema.optional(),
    target: regionTargetSchema.pipe(endpointSchema).optional(),
    weight: z.number().positive('must be positive').finite().default(1),
    tier: z.enum(REGION_TIERS).default('standard'),
    pair: slug.optional(),
    customers: z.array(z.string().min(1)).default([]),
  })
  .superRefine((region, ctx) => {
    if (region.endpoint === undefined && region.target === undefined) {
      ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'a region needs an endpoint or a target' });
    } else if (region.endpoint !== undefined && region.target !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['target'], message: 'give an endpoint or a target, not both' });
    }
  })
  .transform(({ endpoint, target, ...region }) => ({ ...region, endpoint: (endpoint ?? target)! }));
export type Region = z.infer<typeof regionSchema>;

/** A service's fields, shared by the topology and the `kind: Service` file (config-as-code). */
export const serviceTopologyShape = {
  name: slug,
  regions: z.array(regionSchema).min(1, 'a service needs at least one region'),
  /** JSON Schema (draft 2020-12 or 07) every config of this service must satisfy. */
  configSchema: z.record(z.string(), z.unknown()).optional(),
  freezeWindows: z.array(freezeWindowSchema).default([]),
  /** Freezes on a schedule: cron, duration and time zone (recurring-freeze.ts). */
  recurringFreezes: z.array(recurringFreezeSchema).max(20).default([]),
  /** Gates defined once, named by `{ref}` in rollouts and rollout templates. */
  gateTemplates: z.array(gateTemplateSchema).max(50).default([]),
  /** Named strategies with gates: `startRollout(template:)`. */
  rolloutTemplates: z.array(rolloutTemplateSchema).max(50).default([]),
  /** The parts of its config that name dependencies, read by the redundancy rules (docs/REDUNDANCY.md). */
  dependencyFields: z.array(dependencyFieldSchema).max(50, 'at most 50 dependency fields').default([]),
  /** Per redundancy rule, error, warning or off, and the rules' limits. */
  redundancy: redundancyPolicySchema.default(DEFAULT_REDUNDANCY_POLICY),
  /** Customer scenarios (Playwright files) and the customer profiles they run as (docs/SCENARIOS.md). */
  ...scenariosShape,
  /** What an alert on this service does while rollouts run (insight/incident-policy.ts). */
  onIncident: z
    .enum(INCIDENT_POLICIES, { error: `must be one of ${INCIDENT_POLICIES.join(', ')}` })
    .default(DEFAULT_INCIDENT_POLICY),
};

export const serviceTopologySchema = z.object(serviceTopologyShape).superRefine(checkService);

/** The rules across fields: unique names, known pairs, templates that exist. */
export function checkService(service: z.infer<z.ZodObject<typeof serviceTopologyShape>>, ctx: z.RefinementCtx): void {
  checkTemplates(service, ctx);
  checkScenarios(service, ctx);
  const seen = new Set<string>();
  service.regions.forEach((region, i) => {
    if (seen.has(region.name)) {
      ctx.addIssue({ code: 'custom', path: ['regions', i, 'name'], message: `duplicate region "${region.name}"` });
    }
    seen.add(region.name);
  });
  const names = new Set(service.regions.map((r) => r.name));
  service.regions.forEach((region, i) => {
    if (region.pair !== undefined && !names.has(region.pair)) {
      ctx.addIssue({
        code: 'custom',
        path: ['regions', i, 'pair'],
        message: `pair "${region.pair}" is not a region of this service`,
      });
    }
    if (region.pair === region.name) {
      ctx.addIssue({ code: 'custom', path: ['regions', i, 'pair'], message: 'a region cannot pair with itself' });
    }
  });
}
export type ServiceTopology = z.infer<typeof serviceTopologySchema>;

export function parseServiceTopology(input: unknown): ServiceTopology {
  return parseInput(serviceTopologySchema, input, 'service');
}
