import { Args, ID, Mutation, Resolver } from '@nestjs/graphql';
import { Actor } from '../actor.decorator';
import { RequireRole } from '../auth/roles.decorator';
import { abandonUpdate, resolveRegionUpdate, retryRollbackUpdate } from '../../../../workflows/rollout.messages';
import { ControlResult, RetryRollbackResult } from './models/rollout-live.model';
import { RolloutController } from './rollout-controller.service';

/**
 * The exits from ROLLBACK_FAILED, each an admin's decision: retry (which will not overwrite a
 * region changed by hand since unless forced), resolve a region by hand, or abandon.
 */
@Resolver()
export class RollbackExitsResolver {
  constructor(private readonly controller: RolloutController) {}

  @Mutation(() => RetryRollbackResult, {
    description:
      'Tries a failed rollback again. Each failed region is read first: one that changed since the failed restore (a hotfix by hand) is left alone and listed in `refused` (REGION_CHANGED), unless force is true. INVALID_STATE unless ROLLBACK_FAILED.',
  })
  @RequireRole('admin')
  async retryRollback(
    @Args('id', { type: () => ID }) id: string,
    @Args('force', { type: () => Boolean, defaultValue: false }) force: boolean,
    @Actor() by: string,
  ): Promise<RetryRollbackResult> {
    const ack = await this.controller.update(id, (h) =>
      h.executeUpdate(retryRollbackUpdate, { args: [{ by, force }] }),
    );
    return {
      rolloutId: id,
      status: ack.status,
      wave: ack.wave,
      phase: ack.phase,
      refused: (ack.refused ?? []).map((r) => ({
        region: r.region,
        code: r.code,
        message: r.message,
        servesVersion: r.serves.version,
        servesConfigHash: r.serves.configHash,
      })),
    };
  }

  @Mutation(() => ControlResult, {
    description:
      'Marks a region whose restore failed as fixed by hand (recorded with you as the actor). Once no failed region is left, the rollout ends ROLLED_BACK (ABORTED if it was aborted). INVALID_STATE unless ROLLBACK_FAILED and the region failed.',
  })
  @RequireRole('admin')
  async resolveRegion(
    @Args('id', { type: () => ID }) id: string,
    @Args('region') region: string,
    @Args('note') note: string,
    @Actor() by: string,
  ): Promise<ControlResult> {
    const ack = await this.controller.update(id, (h) =>
      h.executeUpdate(resolveRegionUpdate, { args: [{ by, region, note }] }),
    );
    return { rolloutId: id, ...ack };
  }

  @Mutation(() => ControlResult, {
    description:
      'Ends a rollout in ROLLBACK_FAILED as ABANDONED (RolloutAbandoned lists the regions never restored) and frees its service for a fix-forward rollout. INVALID_STATE unless ROLLBACK_FAILED.',
  })
  @RequireRole('admin')
  async abandonRollout(
    @Args('id', { type: () => ID }) id: string,
    @Args('reason') reason: string,
    @Actor() by: string,
  ): Promise<ControlResult> {
    const ack = await this.controller.update(id, (h) => h.executeUpdate(abandonUpdate, { args: [{ by, reason }] }));
    return { rolloutId: id, ...ack };
  }
}
