import { z } from 'zod';

/**
 * A probe gate: a synthetic customer request against each region of the wave, judged by
 * its status and, optionally, a substring of the body.
 */
export const probeGateSchema = z.object({
  kind: z.literal('probe'),
  name: z.string().min(1).max(100),
  /** Appended to the region endpoint, e.g. `/probe`. */
  path: z.string().startsWith('/', 'must start with "/"').max(500),
  expectStatus: z.number().int().min(100).max(599).default(200),
  expectBodyContains: z.string().max(1000).optional(),
  timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
});
export type ProbeGate = z.infer<typeof probeGateSchema>;

export const gateSpecSchema = z.discriminatedUnion('kind', [probeGateSchema]);
export type GateSpec = z.infer<typeof gateSpecSchema>;

/** One gate's verdict for one region at one moment. */
export interface GateEvaluation {
  gate: string;
  kind: GateSpec['kind'];
  region: string;
  verdict: 'PASS' | 'FAIL' | 'NO_DATA';
  value?: number | string;
  detail: string;
}
