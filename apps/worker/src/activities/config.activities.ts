import Ajv2020 from 'ajv/dist/2020';
import type { CachedConfigStore } from '../../../../libs/config-store/src';
import { checkRedundancy, type FleetConfigs, wholeFleet } from '../../../../libs/redundancy/src';
import { forEachLimited } from '../../../../libs/platform/src/concurrency';
import type { RegionClient } from '../../../../libs/targets/src';
import type {
  CheckRedundancyInput,
  ConfigValidation,
  RedundancyFinding,
  StoreConfigInput,
  StoreConfigResult,
  ValidateConfigInput,
} from '../../../../workflows/activity-contracts';
import { asActivity } from './activity-failure';

/** Validates a config against the service's JSON Schema (draft 2020-12; `$schema` may pick 07). */
export function validateConfigAgainstSchema(
  config: unknown,
  schema: Record<string, unknown> | undefined,
): ConfigValidation {
  if (!schema) return { valid: true, errors: [] };
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  let validate;
  try {
    validate = ajv.compile(schema);
  } catch (err) {
    return { valid: false, errors: [`the service's config schema does not compile: ${(err as Error).message}`] };
  }
  if (validate(config)) return { valid: true, errors: [] };
  return {
    valid: false,
    errors: (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`),
  };
}

/** Region reads at once in the redundancy precheck: a fleet of hundreds is read in a few rounds. */
const REDUNDANCY_READS = 16;

export function createConfigActivities(
  configs: Pick<CachedConfigStore, 'get' | 'put'>,
  regions: RegionClient,
  fleet: Pick<FleetConfigs, 'others'>,
) {
  return {
    /**
     * The redundancy rules (docs/REDUNDANCY.md) against the fleet as its regions serve it now:
     * each region is read, so a change made since the rollout started is seen. Other services'
     * dependencies (SPOF_CROSS_SERVICE) are as Sluice last pushed them, when `service` is given.
     */
    async checkRedundancy(input: CheckRedundancyInput): Promise<RedundancyFinding[]> {
      return asActivity(async () => {
        const config = input.configHash === undefined ? input.config : await configs.get(input.configHash);
        const own = await documentsOf(configs, input.regionConfigHashes);
        const current = new Map<string, unknown>();
        const [others] = await Promise.all([
          input.service === undefined ? [] : fleet.others(input.service),
          forEachLimited(input.regions, REDUNDANCY_READS, async (r) => {
            current.set(r.region, (await regions.read(r.endpoint)).config);
          }),
        ]);
        const named = input.regions.map((r) => ({ name: r.region, weight: r.weight, pair: r.pair }));
        const { violations } = checkRedundancy({
          regions: wholeFleet(named, current, (region) => own.get(region) ?? config),
          fields: input.fields,
          policy: input.policy,
          others,
        });
        return violations.map(({ rule, severity, message, regions: names }) => ({
          rule,
          severity,
          message,
          regions: names,
        }));
      });
    },

    async validateConfig(input: ValidateConfigInput): Promise<ConfigValidation> {
      return asActivity(async () => {
        if (input.regionConfigHashes) return validateEach(configs, input.regionConfigHashes, input.schema);
        const config = input.configHash === undefined ? input.config : await configs.get(input.configHash);
        return validateConfigAgainstSchema(config, input.schema);
      });
    },

    /** Stores the rollout's document once by hash (idempotent, so a retry is harmless). */
    async storeConfig(input: StoreConfigInput): Promise<StoreConfigResult> {
      return asActivity(async () => ({ configHash: await configs.put(input.config) }));
    },
  };
}

/** Each region's own document, by region; empty when all receive the input's one. */
async function documentsOf(
  configs: Pick<CachedConfigStore, 'get'>,
  hashes: Record<string, string> | undefined,
): Promise<Map<string, unknown>> {
  const bodies = new Map<string, unknown>();
  for (const hash of new Set(Object.values(hashes ?? {}))) bodies.set(hash, await configs.get(hash));
  return new Map(Object.entries(hashes ?? {}).map(([region, hash]) => [region, bodies.get(hash)]));
}

/** Every distinct document the regions receive, validated once; each error names its regions. */
async function validateEach(
  configs: Pick<CachedConfigStore, 'get'>,
  hashes: Record<string, string>,
  schema: Record<string, unknown> | undefined,
): Promise<ConfigValidation> {
  const regionsOf = new Map<string, string[]>();
  for (const [region, hash] of Object.entries(hashes)) regionsOf.set(hash, [...(regionsOf.get(hash) ?? []), region]);
  const errors: string[] = [];
  for (const [hash, regions] of regionsOf) {
    const { valid, errors: found } = validateConfigAgainstSchema(await configs.get(hash), schema);
    if (!valid) errors.push(...found.map((e) => `${listRegions(regions)}: ${e}`));
  }
  return { valid: errors.length === 0, errors };
}

const listRegions = (regions: string[]) =>
  regions.length > 3 ? `${regions.slice(0, 3).join(', ')} and ${regions.length - 3} more` : regions.join(', ');
