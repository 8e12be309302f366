import { patched } from '@temporalio/workflow';
import type { ChangeAssessment } from '../libs/domain/src/insight/change-assessment';
import { failureMessage, haltAssessment } from './rollout-activities';
import type { RolloutContext } from './rollout-context';

/**
 * After a halt: our change or something outside? Records HaltAssessed with the evidence.
 * Runs beside the rollback, never before it; a failure is recorded as UNCLEAR, not thrown.
 */
export async function assessHalt(ctx: RolloutContext): Promise<void> {
  const { input } = ctx;
  const haltedAt = ctx.state.haltedAt;
  // Added after the first histories were recorded: patched, so halted rollouts replay as they ran.
  if (haltedAt === null || !patched('halt-assessment')) return;
  let assessment: ChangeAssessment;
  try {
    assessment = await haltAssessment.assessHalt.executeWithOptions(
      { summary: 'assess the halt: our change or outside?' },
      [
        {
          rolloutId: input.rolloutId,
          service: input.service,
          serviceRegions: input.regions.map((r) => r.name),
          haltedAt,
        },
      ],
    );
  } catch (err) {
    assessment = {
      verdict: 'UNCLEAR',
      summary: `no verdict: the assessment failed (${failureMessage(err)})`,
      service: input.service,
      pivot: haltedAt,
      beforeFrom: haltedAt,
      afterTo: haltedAt,
      regions: [],
      error: failureMessage(err),
    };
  }
  await ctx.emit([{ type: 'HaltAssessed', data: assessment }]);
}
