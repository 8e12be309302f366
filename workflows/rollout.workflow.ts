import {
  ApplicationFailure,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  upsertSearchAttributes,
  ActivityFailure,
} from '@temporalio/workflow';
import type { RolloutActivities } from '../apps/worker/src/activities';
import { REGION_PUSH } from './activity-presets';
import { EventRecorder } from './event-recorder';
import { SluiceStatus } from './rollout.search-attributes';
import { rolloutRequested, type RolloutWorkflowInput, type RolloutWorkflowResult } from './rollout.types';

const { pushRegionConfig } = proxyActivities<RolloutActivities>(REGION_PUSH);

/** One rollout of one version to every region of a service, in order. */
export async function rolloutWorkflow(input: RolloutWorkflowInput): Promise<RolloutWorkflowResult> {
  const recorder = new EventRecorder(input.rolloutId, input.requestedBy);
  const setStatus = (status: string) => upsertSearchAttributes([{ key: SluiceStatus, value: status }]);

  await recorder.record(rolloutRequested(input));
  setStatus('ROLLING');
  const pushed: string[] = [];
  try {
    for (const region of input.regions) {
      setCurrentDetails(progressTable(input, pushed, region.name));
      const result = await pushRegionConfig.executeWithOptions(
        { ...REGION_PUSH, summary: `push ${input.version} → ${region.name}` },
        [{ region: region.name, endpoint: region.endpoint, version: input.version, config: input.config }],
      );
      await recorder.record({
        type: 'RegionConfigPushed',
        data: {
          region: region.name,
          version: result.version,
          previousVersion: result.previousVersion,
          configHash: result.configHash,
          changed: result.changed,
        },
      });
      pushed.push(region.name);
    }
  } catch (err) {
    if (isCancellation(err)) throw err;
    const failure = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
    await recorder.record({
      type: 'RolloutFailed',
      data: { reason: failure?.message ?? String(err), code: failure?.type ?? 'INTERNAL' },
    });
    setStatus('FAILED');
    throw ApplicationFailure.nonRetryable(
      `rollout ${input.rolloutId} failed: ${failure?.message ?? String(err)}`,
      failure?.type ?? 'INTERNAL',
    );
  }

  await recorder.record({ type: 'RolloutSucceeded', data: { version: input.version, regions: pushed } });
  setStatus('SUCCEEDED');
  setCurrentDetails(progressTable(input, pushed));
  return { rolloutId: input.rolloutId, status: 'SUCCEEDED', regions: pushed };
}

function progressTable(input: RolloutWorkflowInput, done: readonly string[], current?: string): string {
  const rows = input.regions.map((r) => {
    const state = done.includes(r.name) ? `✅ ${input.version}` : r.name === current ? '⏳ pushing' : '·';
    return `| ${r.name} | ${state} |`;
  });
  return [`**${input.service}** → \`${input.version}\``, '', '| region | state |', '|---|---|', ...rows].join('\n');
}
