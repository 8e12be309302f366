import { z } from 'zod';
import { parseInput } from '../validation';
import { freezeWindowSchema } from './freeze-window';

export const REGION_TIERS = ['canary', 'standard', 'heavy'] as const;
export type RegionTier = (typeof REGION_TIERS)[number];

/** What is wrong with an `etcd://` endpoint (null for a good one, or another scheme). */
export function etcdEndpointProblem(endpoint: string): string | null {
  if (!/^etcd:/i.test(endpoint)) return null;
  const url = new URL(endpoint);
  if (url.password)
    return 'an etcd password is named by reference (?passwordEnv=NAME or ?passwordFile=/path), never inline';
  if (!url.pathname.replace(/^\/+/, '')) return 'an etcd endpoint names its key: etcd://host:port/<key>';
  for (const name of url.searchParams.keys()) {
    if (name !== 'passwordEnv' && name !== 'passwordFile') return `unknown etcd endpoint option "${name}"`;
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

export const regionSchema = z.object({
  name: slug,
  /**
   * Where the region's config lives (docs/TARGETS.md): an http(s) URL speaking the region
   * contract, or `etcd://host:port[,host:port]/<key>` (a password by reference only).
   */
  endpoint: z
    .url({ protocol: /^(https?|etcd)$/, error: 'must be an http(s) URL or an etcd:// key' })
    .superRefine((endpoint, ctx) => {
      const problem = etcdEndpointProblem(endpoint);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  weight: z.number().positive('must be positive').finite().default(1),
  tier: z.enum(REGION_TIERS).default('standard'),
  pair: slug.optional(),
  customers: z.array(z.string().min(1)).default([]),
});
export type Region = z.infer<typeof regionSchema>;

export const serviceTopologySchema = z
  .object({
    name: slug,
    regions: z.array(regionSchema).min(1, 'a service needs at least one region'),
    /** JSON Schema (draft 2020-12 or 07) every config of this service must satisfy. */
    configSchema: z.record(z.string(), z.unknown()).optional(),
    freezeWindows: z.array(freezeWindowSchema).default([]),
  })
  .superRefine((service, ctx) => {
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
  });
export type ServiceTopology = z.infer<typeof serviceTopologySchema>;

export function parseServiceTopology(input: unknown): ServiceTopology {
  return parseInput(serviceTopologySchema, input, 'service');
}
