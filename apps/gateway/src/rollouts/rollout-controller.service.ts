import { Injectable } from '@nestjs/common';
import { ErrorCode, SluiceError, decide } from '../../../../libs/domain/src';
import {
  abortUpdate,
  approveWaveUpdate,
  controlAck,
  haltIfAffectedUpdate,
  haltSignal,
  liveStateQuery,
  pauseUpdate,
  resumeUpdate,
  type ControlAck,
  type HaltOutcome,
  type RegionHaltRequest,
} from '../../../../workflows/rollout.messages';
import { interpretTemporalError } from '../temporal/temporal-errors';
import { toLiveModel } from './models/rollout-mapper';
import type { ControlResult, HaltAnswer, RolloutLive } from './models/rollout-live.model';
import { RolloutHandles, type RolloutHandle } from './rollout-handles';
import { RolloutReader } from './rollout-reader';

export type ControlCommand =
  | { type: 'pause'; by: string; reason: string }
  | { type: 'resume'; by: string }
  | { type: 'abort'; by: string; reason: string }
  | { type: 'approve'; approver: string; wave: number; comment?: string };

/** Steers running rollouts: asks and tells their workflows, through Temporal only. */
@Injectable()
export class RolloutController {
  constructor(
    private readonly handles: RolloutHandles,
    private readonly reader: RolloutReader,
  ) {}

  async live(rolloutId: string): Promise<RolloutLive> {
    const handle = await this.handles.of(rolloutId);
    const state = await this.call(rolloutId, () => handle.query(liveStateQuery));
    return toLiveModel(state);
  }

  async control(rolloutId: string, command: ControlCommand): Promise<ControlResult> {
    const handle = await this.handles.of(rolloutId);
    const ack = await this.call(rolloutId, (): Promise<ControlAck> => {
      switch (command.type) {
        case 'pause':
          return handle.executeUpdate(pauseUpdate, { args: [{ by: command.by, reason: command.reason }] });
        case 'resume':
          return handle.executeUpdate(resumeUpdate, { args: [{ by: command.by }] });
        case 'abort':
          return handle.executeUpdate(abortUpdate, { args: [{ by: command.by, reason: command.reason }] });
        case 'approve':
          return handle.executeUpdate(approveWaveUpdate, {
            args: [{ wave: command.wave, approver: command.approver, comment: command.comment }],
          });
      }
    });
    return { rolloutId, ...ack };
  }

  /** Any other update of the rollout's workflow (the exits from ROLLBACK_FAILED), its refusals mapped alike. */
  async update<T>(rolloutId: string, send: (handle: RolloutHandle) => Promise<T>): Promise<T> {
    const handle = await this.handles.of(rolloutId);
    return this.call(rolloutId, () => send(handle));
  }

  /**
   * The API's halt: the same haltIfAffected update monitoring's halts use, sent straight to
   * Temporal, so it lands while PostgreSQL is down. A halt of a rollout that no longer moves
   * forward is harmless: NO_RUNNING_ROLLOUT, with where the rollout is.
   */
  async halt(rolloutId: string, by: string, reason: string): Promise<HaltAnswer> {
    const handle = await this.handles.of(rolloutId);
    const request: RegionHaltRequest = { by, reason, source: 'api' };
    let outcome: HaltOutcome;
    let recorded = true;
    try {
      const result = await handle.executeUpdate(haltIfAffectedUpdate, { args: [request] });
      outcome = result.outcome;
      recorded = result.recorded ?? true;
    } catch (err) {
      const answer = interpretTemporalError(err, haltIfAffectedUpdate.name);
      if (answer?.kind === 'unknown-update') {
        // a workflow started before haltIfAffected: the signal it knows
        await handle.signal(haltSignal, request);
        outcome = 'HALTED';
      } else if (answer?.kind === 'closed') {
        outcome = 'NO_RUNNING_ROLLOUT';
      } else if (answer?.kind === 'refused' && ['NO_RUNNING_ROLLOUT', 'NOT_RUNNING'].includes(answer.code)) {
        outcome = 'NO_RUNNING_ROLLOUT';
      } else {
        throw await this.toSluiceError(rolloutId, err);
      }
    }
    const where = await this.whereIs(rolloutId, handle);
    // Not harmless here: the rollout stopped and waits for a person, and the answer says how.
    if (outcome === 'NO_RUNNING_ROLLOUT' && where.status === 'ROLLBACK_FAILED') {
      decide({ type: 'HaltRollout', ...request }, await handle.query(liveStateQuery));
    }
    return { rolloutId, outcome, recorded, ...where };
  }

  /** Where a rollout is: its workflow's answer, or the event log's once the workflow cannot say. */
  private async whereIs(rolloutId: string, handle: RolloutHandle): Promise<ControlAck> {
    try {
      return controlAck(await handle.query(liveStateQuery));
    } catch {
      const rollout = await this.reader.get(rolloutId);
      return { status: rollout.status, wave: rollout.currentWave, phase: null };
    }
  }

  /** Maps Temporal's answers to the API's codes: a refused update keeps the workflow's code. */
  private async call<T>(rolloutId: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw await this.toSluiceError(rolloutId, err);
    }
  }

  private async toSluiceError(rolloutId: string, err: unknown): Promise<unknown> {
    const answer = interpretTemporalError(err);
    if (answer?.kind === 'refused') {
      return new SluiceError(answer.code as ErrorCode, answer.message, { ...answer.details, rolloutId });
    }
    if (answer?.kind === 'closed') {
      const { status } = await this.reader.get(rolloutId);
      return new SluiceError(
        ErrorCode.InvalidState,
        `rollout ${rolloutId} has finished (${status}); it takes no more controls`,
        {
          rolloutId,
          status,
        },
      );
    }
    return err;
  }
}
