import { z } from 'zod';
import { MAX_CONFIG_BYTES, startRolloutSchema } from '../rollout/start-rollout';
import { checkService, serviceTopologyShape } from '../service/service-topology';
import { gateOrRefSchema } from '../service/templates';

/**
 * Configuration as code: versioned YAML files that `sluice lint`, `diff` and `apply` read.
 * Each document says what it is with `apiVersion` and `kind`. The JSON Schema published in
 * docs/schema/ is generated from these (json-schema.ts), so an editor checks what the CLI
 * and the server check.
 */
export const API_VERSION = 'sluice/v1';

/** A file beside this one, relative to the YAML file: `{$ref: ./schemas/checkout.json}`. */
const fileRef = z.strictObject({ $ref: z.string().min(1, 'names a file') });

/** `kind: Service`: what `registerService` takes, with `configSchema` inline or by `$ref`. */
export const serviceDocumentSchema = z
  .strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal('Service'),
    ...serviceTopologyShape,
    configSchema: z.union([fileRef, z.record(z.string(), z.unknown())]).optional(),
  })
  .superRefine((doc, ctx) => checkService({ ...doc, configSchema: undefined }, ctx));
export type ServiceDocument = z.input<typeof serviceDocumentSchema>;

const { service, version, strategy, waves, description, gateIntervalSeconds, regionOverrides, configTemplate } =
  startRolloutSchema.shape;

/** `kind: Rollout`: a rollout to start, its config from a file beside it or inline. */
export const rolloutDocumentSchema = z
  .strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal('Rollout'),
    service,
    version,
    description,
    /** A JSON (or YAML) file holding the config document, relative to this file. */
    configFrom: z.string().min(1).optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    /** Per-region values merged over the config (docs/REDUNDANCY.md). */
    regionOverrides,
    /** Fill {{region}} and {{service}} in each region's config. */
    configTemplate,
    /** A rollout template of the service; the fields below override it. */
    template: z.string().min(1).optional(),
    strategy: strategy.optional(),
    waves,
    gates: z.array(gateOrRefSchema).max(20).optional(),
    gateIntervalSeconds: gateIntervalSeconds.optional(),
  })
  .superRefine((doc, ctx) => {
    if ((doc.configFrom === undefined) === (doc.config === undefined)) {
      const message = doc.config
        ? 'give configFrom or config, not both'
        : 'name the config: configFrom (a file) or config';
      ctx.addIssue({ code: 'custom', path: ['configFrom'], message });
    }
    if (doc.config && JSON.stringify(doc.config).length > MAX_CONFIG_BYTES) {
      ctx.addIssue({ code: 'custom', path: ['config'], message: `must be at most ${MAX_CONFIG_BYTES} bytes as JSON` });
    }
  });
export type RolloutDocument = z.input<typeof rolloutDocumentSchema>;

export const DOCUMENT_KINDS = ['Service', 'Rollout'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

export const documentSchemas = { Service: serviceDocumentSchema, Rollout: rolloutDocumentSchema } as const;
