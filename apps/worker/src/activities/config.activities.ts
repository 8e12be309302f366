import Ajv2020 from 'ajv/dist/2020';
import type { CachedConfigStore } from '../../../../libs/config-store/src';
import { checkRedundancy, wholeFleet } from '../../../../libs/redundancy/src';
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

export function createConfigActivities(configs: Pick<CachedConfigStore, 'get' | 'put'>, regions: RegionClient) {
  return {
    /**
     * The redundancy rules (docs/REDUNDANCY.md) against the fleet as its regions serve it now:
     * each region is read, so a change made since the rollout started is seen. Other services
     * are not read here (SPOF_CROSS_SERVICE is checked when the rollout is planned and started).
     */
    async checkRedundancy(input: CheckRedundancyInput): Promise<RedundancyFinding[]> {
      return asActivity(async () => {
        const config = input.configHash === undefined ? input.config : await configs.get(input.configHash);
        const current = new Map<string, unknown>();
        await forEachLimited(input.regions, REDUNDANCY_READS, async (r) => {
          current.set(r.region, (await regions.read(r.endpoint)).config);
        });
        const named = input.regions.map((r) => ({ name: r.region, weight: r.weight, pair: r.pair }));
        const { violations } = checkRedundancy({
          regions: wholeFleet(named, current, config),
          fields: input.fields,
          policy: input.policy,
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
