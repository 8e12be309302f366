import { createHash, randomUUID } from 'node:crypto';
import type { RegionFleet } from '../../apps/region-sim/src/region-fleet';
import { MAX_CONFIG_BYTES, parseStartRollout, planRollout, type Region } from '../../libs/domain/src';
import type { PgConfigStore } from '../../libs/config-store/src';
import type { RolloutWorkflowInput } from '../../workflows/rollout.types';

/**
 * The rollout of issue 16: 50 regions in 10 waves of 5, each wave baking 24 h with a probe
 * gate and a canary gate evaluated at the default interval, and a config of the largest size
 * Sluice accepts (256 KiB). A person signs off after waves 1, 4, 7 and 10, a day after being
 * asked: ten days of bakes and four of waiting make the 14 days.
 */
export const REGIONS = 50;
export const WAVES = 10;
export const APPROVAL_AFTER_WAVES: readonly number[] = [1, 4, 7, 10];
export const CONFIG_BYTES = MAX_CONFIG_BYTES;
export const DAY_SECONDS = 86_400;

export const regionNames = (service: string) =>
  Array.from({ length: REGIONS }, (_, i) => `${service}-r${String(i + 1).padStart(2, '0')}`);

/** A JSON object of exactly `bytes` bytes as JSON, its content derived from `seed`. */
export function configOfSize(bytes: number, seed: string): Record<string, unknown> {
  const rules: string[] = [];
  const doc = { seed, rules, padding: '' };
  // each rule adds 64 hex characters, two quotes and a comma
  let length = JSON.stringify(doc).length;
  while (length + 67 + 64 < bytes) {
    rules.push(createHash('sha256').update(`${seed}/${rules.length}`).digest('hex'));
    length += 67;
  }
  doc.padding = '.'.repeat(bytes - JSON.stringify(doc).length);
  if (JSON.stringify(doc).length !== bytes) throw new Error(`config of ${bytes} bytes came out wrong`);
  return doc;
}

/** What a region served before the rollout. */
export interface PreviousState {
  version: string;
  configHash: string;
}

/**
 * Before a rollout the fleet runs two earlier releases, as after a hotfix that reached half of
 * it: odd regions `v1`, even regions `v1-hotfix`, each a document as large as the one rolled
 * out. A restore must put every region back to its own. Both came through Sluice earlier, so
 * their documents are in the config store, as they would be.
 */
export async function seedRegions(
  fleet: RegionFleet,
  configs: PgConfigStore,
  service: string,
): Promise<Map<string, PreviousState>> {
  const releases = await Promise.all(
    ['v1', 'v1-hotfix'].map(async (version) => {
      const config = configOfSize(CONFIG_BYTES, `${service}/${version}`);
      return { version, config, configHash: await configs.put(config) };
    }),
  );
  const previous = new Map<string, PreviousState>();
  regionNames(service).forEach((region, i) => {
    const { version, config, configHash } = releases[i % 2];
    fleet.apply(region, version, config);
    previous.set(region, { version, configHash });
  });
  return previous;
}

/** The service's topology: the first wave's regions are canary-tier, every region weighs the same. */
export function serviceTopology(service: string, simUrl: string): Region[] {
  const perWave = REGIONS / WAVES;
  return regionNames(service).map((name, i) => ({
    name,
    endpoint: `${simUrl}/regions/${name}`,
    weight: 1,
    tier: i < perWave ? 'canary' : 'standard',
    customers: [],
  }));
}

/**
 * The workflow's input, built the way the gateway builds it: the request goes through the
 * same schema (its defaults: the 30 s gate interval, each gate's settings) and the plan is
 * checked before anything starts.
 */
export function rolloutInput(options: {
  service: string;
  topology: Region[];
  version: string;
  config: Record<string, unknown>;
  /** The config's hash in the config store: the workflow gets the hash, as from the gateway. */
  configHash: string;
  /** Seconds a "day" lasts: 86,400, or less in a quick run. */
  daySeconds: number;
  continueAsNewAfterEvents?: number;
}): RolloutWorkflowInput {
  const { service, topology, version, config, daySeconds } = options;
  const perWave = REGIONS / WAVES;
  const request = parseStartRollout({
    service,
    version,
    config,
    strategy: {
      canaryMaxShare: perWave / REGIONS,
      growthFactor: 2,
      bakeSeconds: daySeconds,
      approvalAfterCanary: false,
    },
    waves: Array.from({ length: WAVES }, (_, w) => ({
      regions: topology.slice(w * perWave, (w + 1) * perWave).map((r) => r.name),
      bakeSeconds: daySeconds,
      requiresApproval: APPROVAL_AFTER_WAVES.includes(w + 1),
    })),
    gates: [
      { kind: 'probe', name: 'probe', path: '/probe' },
      { kind: 'canary', name: 'canary' },
    ],
  });
  const { violations } = planRollout({ regions: topology, strategy: request.strategy, waves: request.waves });
  if (violations.length > 0) throw new Error(`the plan is invalid: ${violations.map((v) => v.message).join('; ')}`);
  return {
    rolloutId: randomUUID(),
    service,
    version: request.version,
    configHash: options.configHash,
    requestedBy: 'alice',
    requestedAt: new Date().toISOString(),
    regions: topology,
    freezeWindows: [],
    strategy: request.strategy,
    waves: request.waves,
    gates: request.gates,
    gateIntervalSeconds: request.gateIntervalSeconds,
    ...(options.continueAsNewAfterEvents ? { continueAsNewAfterEvents: options.continueAsNewAfterEvents } : {}),
  };
}
