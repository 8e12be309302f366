import Ajv2020 from 'ajv/dist/2020';
import type { CachedConfigStore } from '../../../../libs/config-store/src';
import type {
  ConfigValidation,
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

export function createConfigActivities(configs: Pick<CachedConfigStore, 'get' | 'put'>) {
  return {
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
