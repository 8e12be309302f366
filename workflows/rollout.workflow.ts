import { CancellationScope, isCancellation, log, setHandler } from '@temporalio/workflow';
import type { RolloutCommand } from '../libs/domain/src/rollout/rollout-commands';
import {
  abortUpdate,
  approveWaveUpdate,
  haltIfAffectedUpdate,
  haltSignal,
  liveStateQuery,
  pauseUpdate,
  resumeUpdate,
  retryRollbackUpdate,
} from './rollout.messages';
import type { RolloutWorkflowInput, RolloutWorkflowResult } from './rollout.types';
import { RolloutRun, StopRollout, toFailure } from './rollout-run';

/**
 * One rollout of one version across a service's regions: prechecks, then wave by wave push,
 * verify, bake and approve; on a failed gate, a halt, an abort or a cancellation, every
 * touched region is rolled back in reverse order.
 */
export async function rolloutWorkflow(input: RolloutWorkflowInput): Promise<RolloutWorkflowResult> {
  const run = new RolloutRun(input);
  const guarded = (command: RolloutCommand) => {
    try {
      run.validate(command);
    } catch (err) {
      throw toFailure(err);
    }
  };

  setHandler(liveStateQuery, () => run.liveState());
  setHandler(pauseUpdate, (a) => run.execute({ type: 'PauseRollout', ...a }), {
    validator: (a) => guarded({ type: 'PauseRollout', ...a }),
  });
  setHandler(resumeUpdate, (a) => run.execute({ type: 'ResumeRollout', ...a }), {
    validator: (a) => guarded({ type: 'ResumeRollout', ...a }),
  });
  setHandler(abortUpdate, (a) => run.execute({ type: 'AbortRollout', ...a }), {
    validator: (a) => guarded({ type: 'AbortRollout', ...a }),
  });
  setHandler(approveWaveUpdate, (a) => run.execute({ type: 'ApproveWave', ...a }), {
    validator: (a) => guarded({ type: 'ApproveWave', ...a }),
  });
  setHandler(retryRollbackUpdate, (a) => run.execute({ type: 'RetryRollback', ...a }), {
    validator: (a) => guarded({ type: 'RetryRollback', ...a }),
  });
  setHandler(haltIfAffectedUpdate, (halt) => run.haltIfAffected(halt), {
    validator: (halt) => run.validateHaltIfAffected(halt),
  });
  // Monitoring may deliver the same halt twice, or after the rollout stopped: both are no-ops.
  setHandler(haltSignal, async (halt) => {
    try {
      await run.execute({ type: 'HaltRollout', ...halt });
    } catch (err) {
      log.info('halt ignored', { reason: halt.reason, error: String(err) });
    }
  });

  const result = (): RolloutWorkflowResult => ({
    rolloutId: input.rolloutId,
    status: run.state.status,
    reason: run.state.stopReason,
  });

  try {
    const plan = await run.precheck();
    if (plan === null) return result();
    for (const wave of plan.waves) await run.runWave(wave);
    await run.checkpoint();
    await run.emit([
      { type: 'RolloutSucceeded', data: { version: input.version, regions: plan.waves.flatMap((w) => w.regions) } },
    ]);
    return result();
  } catch (err) {
    const cancelled = isCancellation(err);
    const reason = cancelled
      ? 'the workflow was cancelled in Temporal'
      : err instanceof StopRollout
        ? err.message
        : `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
    await CancellationScope.nonCancellable(async () => {
      if (cancelled) await run.recordCancellation();
      await run.rollback(run.state.stopReason ?? reason, run.assessHalt());
    });
    if (cancelled) throw err;
    return result();
  }
}
