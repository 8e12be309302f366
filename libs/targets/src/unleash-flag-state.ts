// An Unleash flag's state in one environment as a Sluice config (docs/TARGETS.md): the form a
// push must have, the version kept in strategy titles, and the state read back. Pure: the Admin
// API calls are in unleash-region-client.ts.
import { z } from 'zod';
import { ErrorCode, SluiceError } from '../../domain/src';
import { configHash } from './config-hash';
import type { RegionConfigState } from './region-client';

/** The title prefix that holds the version Sluice wrote. */
const MARK = 'sluice:';

/** The strategy fields Sluice writes and reads back; parameter values are strings, as Unleash keeps them. */
const strategySchema = z.strictObject({
  name: z.string().min(1),
  title: z.string().optional(),
  parameters: z.record(z.string(), z.string()).default({}),
  constraints: z.array(z.record(z.string(), z.unknown())).optional(),
  variants: z.array(z.record(z.string(), z.unknown())).optional(),
  segments: z.array(z.number().int()).optional(),
  disabled: z.boolean().optional(),
});
export type Strategy = z.infer<typeof strategySchema>;

const flagStateSchema = z
  .strictObject({
    enabled: z.boolean(),
    strategies: z.array(strategySchema).min(1, 'name at least one strategy: the version is kept in its title'),
  })
  .refine((s) => !s.enabled || s.strategies.some((x) => x.disabled !== true), {
    message: 'an enabled flag needs a strategy that is not disabled (Unleash would add a 100% one)',
    path: ['strategies'],
  });
export type FlagState = z.infer<typeof flagStateSchema>;

/** A strategy as Unleash answered it, in the form a config holds (empty and default fields left out). */
function strategyOf(raw: Record<string, unknown>, keepTitle: boolean): Strategy {
  const list = (value: unknown) => (Array.isArray(value) && value.length > 0 ? value : undefined);
  const strategy: Strategy = {
    name: String(raw.name),
    parameters: Object.fromEntries(
      Object.entries((raw.parameters as Record<string, unknown>) ?? {}).map(([k, v]) => [k, String(v)]),
    ),
  };
  if (keepTitle && typeof raw.title === 'string' && raw.title !== '') strategy.title = raw.title;
  const constraints = list(raw.constraints);
  if (constraints) strategy.constraints = constraints as Strategy['constraints'];
  const variants = list(raw.variants);
  if (variants) strategy.variants = variants as Strategy['variants'];
  const segments = list(raw.segments);
  if (segments) strategy.segments = segments as number[];
  if (raw.disabled === true) strategy.disabled = true;
  return strategy;
}

/** The version a found state stands for: what it is, by its content. */
const foundVersion = (config: FlagState) => `unleash-${configHash(config).slice(0, 12)}`;

/** A flag's state in an environment as Unleash answers it, strategies in their order. */
export interface RawFlagState {
  enabled: boolean;
  strategies: Record<string, unknown>[];
}

/** The strategies a push writes: titled with the version, unless it restores a state found as it was. */
export function markedStrategies(wanted: FlagState, version: string): Strategy[] {
  const found = version === foundVersion(wanted);
  return wanted.strategies.map((s) => (found ? s : { ...s, title: `${MARK}${version}` }));
}

/** The config a push writes, refused (not retried) unless it is a flag state in the form Unleash returns. */
export function wantedState(region: string, version: string, config: Record<string, unknown>): FlagState {
  const parsed = flagStateSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SluiceError(
      ErrorCode.RegionRejectedPush,
      `${region}: the config is not a flag state { enabled, strategies }: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  const found = version === foundVersion(parsed.data);
  const form = { ...parsed.data, strategies: parsed.data.strategies.map((s) => strategyOf(s, found)) };
  if (configHash(form) !== configHash(config)) {
    throw new SluiceError(
      ErrorCode.RegionRejectedPush,
      `${region}: write the config in the form Unleash returns it, so it reads back the same: ${JSON.stringify(form).slice(0, 500)}`,
    );
  }
  return parsed.data;
}

/** The state Unleash answered, as Sluice reads it: its version, config and hash. */
export function stateOf(region: string, raw: RawFlagState | null, revision: number): RegionConfigState {
  if (raw === null || (!raw.enabled && raw.strategies.length === 0)) {
    return { region, version: null, config: null, configHash: null, revision };
  }
  const titles = new Set(raw.strategies.map((s) => (typeof s.title === 'string' ? s.title : '')));
  const [only] = titles;
  const marked = titles.size === 1 && only.startsWith(MARK) && only.length > MARK.length;
  const config: FlagState = { enabled: raw.enabled, strategies: raw.strategies.map((s) => strategyOf(s, !marked)) };
  const version = marked ? only.slice(MARK.length) : foundVersion(config);
  return { region, version, config, configHash: configHash(config), revision };
}
