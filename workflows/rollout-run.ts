import { ApplicationFailure, condition, patched, proxyActivities } from '@temporalio/workflow';
import type { RolloutActivities, RegionRef } from './activity-contracts';
import { isSluiceError } from '../libs/domain/src/errors';
import { planRollout } from '../libs/domain/src/plan/plan-rollout';
import type { RolloutPlan, Wave } from '../libs/domain/src/plan/rollout-plan';
import { decide, type RolloutCommand } from '../libs/domain/src/rollout/rollout-commands';
import type { PrecheckFailed, RolloutEvent } from '../libs/domain/src/rollout/rollout.events';
import type { ChangeAssessment } from '../libs/domain/src/insight/change-assessment';
import { evolve, initialRolloutState, type RolloutState } from '../libs/domain/src/rollout/rollout-state';
import { activeFreezeWindow } from '../libs/domain/src/service/freeze-window';
import type { CanaryGate, GateEvaluation } from '../libs/domain/src/gates/gate-spec';
import { gateOutcome, type NoDataPause } from '../libs/domain/src/gates/gate-policy';
import { DEFAULT_JUDGE } from '../libs/judge/src/sequential-judge';
import {
  judgeCanaryInterval,
  splitAlpha,
  startCanaryJudge,
  type CanaryJudgeState,
} from '../libs/judge/src/canary-interval';
import {
  CONFIG_VALIDATION,
  GATE_EVALUATION,
  HALT_ASSESSMENT,
  REGION_PUSH,
  REGION_READ,
  ROLLBACK_PUSH,
} from './activity-presets';
import { EventRecorder } from './event-recorder';
import type { ControlAck, HaltResult, LiveState, RegionHaltRequest } from './rollout.messages';
import { rolloutRequested, type RolloutWorkflowInput } from './rollout.types';
import { RolloutUi } from './rollout-ui';

const { readRegionConfig, pushRegionConfig, restoreRegionConfig, checkRegions } =
  proxyActivities<RolloutActivities>(REGION_PUSH);
const { evaluateGates, checkGates, readCanaryCounts } = proxyActivities<RolloutActivities>(GATE_EVALUATION);
const { validateConfig } = proxyActivities<RolloutActivities>(CONFIG_VALIDATION);
const { assessHalt } = proxyActivities<RolloutActivities>(HALT_ASSESSMENT);

/** Unwinds the forward path: a halt, an abort, a failed gate or a failed push. */
export class StopRollout extends Error {
  override name = 'StopRollout';
}

/** What undoes one push: the region's config as it was just before it. */
interface Compensation extends RegionRef {
  version: string | null;
  config: Record<string, unknown> | null;
}

function failureMessage(err: unknown): string {
  let current: unknown = err;
  // ActivityFailure → ApplicationFailure: the innermost message is the one a person can act on.
  while (current instanceof Error && (current as Error & { cause?: unknown }).cause instanceof Error) {
    current = (current as Error & { cause?: unknown }).cause;
  }
  return current instanceof Error ? current.message : String(err);
}

/** Domain refusals leave the workflow as ApplicationFailures whose type is the stable code. */
export function toFailure(err: unknown): unknown {
  if (!isSluiceError(err)) return err;
  return ApplicationFailure.create({
    message: err.message,
    type: err.code,
    nonRetryable: true,
    details: [err.details],
  });
}

/** One rollout's state and steps: prechecks, waves, bake, approval and the compensating rollback. */
export class RolloutRun {
  state: RolloutState = initialRolloutState;
  private readonly recorder: EventRecorder;
  private readonly ui = new RolloutUi();
  private readonly compensations: Compensation[] = [];
  private readonly endpoints: Map<string, string>;
  private retryRequestedBy: string | null = null;
  private readonly pausedForNoData = new Set<string>();
  private readonly canaryJudges = new Map<string, CanaryJudgeState>();
  /** When monitoring halted the rollout (workflow time); null if it was not halted. */
  private haltedAt: string | null = null;

  constructor(private readonly input: RolloutWorkflowInput) {
    this.recorder = new EventRecorder(input.rolloutId, input.requestedBy, input.service);
    this.endpoints = new Map(input.regions.map((r) => [r.name, r.endpoint]));
  }

  get stopped(): boolean {
    return this.state.stopReason !== null;
  }

  /** Applies events to the live state at once, then records them in order. */
  async emit(events: RolloutEvent[], actor?: string): Promise<void> {
    for (const event of events) this.state = evolve(this.state, event);
    this.ui.update(this.state);
    await this.recorder.record(events, actor);
  }

  /** Throws INVALID_STATE / FORBIDDEN (as a SluiceError) when the command is not allowed now. */
  validate(command: RolloutCommand): void {
    decide(command, this.state);
  }

  async execute(command: RolloutCommand): Promise<ControlAck> {
    if (command.type === 'RetryRollback') {
      decide(command, this.state);
      this.retryRequestedBy = command.by;
    } else {
      const events = decide(command, this.state);
      if (command.type === 'HaltRollout') this.haltedAt = new Date().toISOString();
      await this.emit(events, command.type === 'ApproveWave' ? command.approver : command.by);
    }
    return this.ack();
  }

  /**
   * The haltIfAffected update's validator: refuses (NOT_AFFECTED, NOT_RUNNING) an alert this
   * rollout need not act on. A refused update leaves no trace in the workflow's history, so a
   * storm of unrelated alerts does not grow it.
   */
  validateHaltIfAffected(halt: RegionHaltRequest): void {
    const { region, ...request } = halt;
    const refuse = (type: Exclude<HaltResult['outcome'], 'HALTED'>, message: string) => {
      throw ApplicationFailure.create({
        type,
        message,
        nonRetryable: true,
        details: [{ rolloutId: this.input.rolloutId }],
      });
    };
    if (region !== undefined && (this.state.regions[region] ?? 'PENDING') === 'PENDING') {
      refuse('NOT_AFFECTED', `the rollout has not touched ${region}`);
    }
    try {
      decide({ type: 'HaltRollout', ...request }, this.state);
    } catch (err) {
      if (!isSluiceError(err)) throw err;
      refuse('NOT_RUNNING', err.message);
    }
  }

  /** The haltIfAffected update, once validated: halts, and answers when the halt is recorded. */
  async haltIfAffected(halt: RegionHaltRequest): Promise<HaltResult> {
    const { region: _region, ...request } = halt;
    await this.execute({ type: 'HaltRollout', ...request });
    return { outcome: 'HALTED', rolloutId: this.input.rolloutId };
  }

  ack(): ControlAck {
    return { status: this.state.status, wave: this.state.wave, phase: this.state.phase };
  }

  liveState(): LiveState {
    const s = this.state;
    return {
      rolloutId: this.input.rolloutId,
      service: this.input.service,
      version: this.input.version,
      status: s.status,
      wave: s.wave,
      phase: s.phase,
      plan: s.plan,
      regions: s.regions,
      gates: s.gates,
      actions: s.actions,
      requestedBy: this.input.requestedBy,
      stopReason: s.stopReason,
      rollbackAttempt: s.rollbackAttempt,
    };
  }

  /** Prechecks. Returns the plan, or null after recording PrecheckFailed (nothing was touched). */
  async precheck(): Promise<RolloutPlan | null> {
    const { input } = this;
    await this.emit([rolloutRequested(input)]);
    const fail = async (data: PrecheckFailed['data']) => {
      await this.emit([{ type: 'PrecheckFailed', data }]);
      return null;
    };

    const outcome = planRollout({ regions: input.regions, strategy: input.strategy, waves: input.waves });
    const planFailure = () =>
      fail({
        check: 'plan',
        code: 'PLAN_INVALID',
        reason: outcome.violations.map((v) => `${v.rule}: ${v.message}`).join('; '),
        regions: outcome.violations.flatMap((v) => v.regions),
      });
    if (outcome.plan === null) return planFailure();
    const plan = outcome.plan;
    await this.emit([{ type: 'RolloutPlanned', data: { plan, source: outcome.source } }]);
    if (outcome.violations.length > 0) return planFailure();

    const freeze = activeFreezeWindow(input.freezeWindows, new Date());
    if (freeze) {
      return fail({
        check: 'freeze-window',
        code: 'FREEZE_WINDOW_ACTIVE',
        reason: `changes to ${input.service} are frozen from ${freeze.start} to ${freeze.end}: ${freeze.reason}`,
      });
    }

    const validation = await validateConfig.executeWithOptions(
      { ...CONFIG_VALIDATION, summary: 'validate config against the service schema' },
      [{ config: input.config, schema: input.configSchema }],
    );
    if (!validation.valid) {
      return fail({ check: 'config-schema', code: 'CONFIG_INVALID', reason: validation.errors.join('; ') });
    }

    // Added after the first histories were recorded: patched, so rollouts started before replay as they ran.
    if (input.gates.some((g) => g.kind === 'prometheus') && patched('prometheus-gate-precheck')) {
      const problems = await checkGates.executeWithOptions({ ...GATE_EVALUATION, summary: 'check gate queries' }, [
        {
          service: input.service,
          regions: input.regions.map((r) => ({ region: r.name, endpoint: r.endpoint })),
          gates: input.gates,
        },
      ]);
      if (problems.length > 0) {
        return fail({
          check: 'gates',
          code: 'GATE_MISCONFIGURED',
          reason: problems.map((p) => `${p.gate}: ${p.problem}`).join('; '),
        });
      }
    }

    const checks = await checkRegions.executeWithOptions(
      { ...REGION_READ, summary: `check ${input.regions.length} regions` },
      [
        {
          regions: input.regions.map((r) => ({ region: r.name, endpoint: r.endpoint })),
          version: input.version,
          config: input.config,
        },
      ],
    );
    const unhealthy = checks.filter((c) => !c.reachable || !c.healthy);
    if (unhealthy.length > 0) {
      return fail({
        check: 'region-health',
        code: 'REGION_UNHEALTHY',
        reason: unhealthy.map((c) => `${c.region}: ${c.detail}`).join('; '),
        regions: unhealthy.map((c) => c.region),
      });
    }
    if (checks.every((c) => c.atTarget)) {
      return fail({
        check: 'no-op',
        code: 'ALREADY_AT_VERSION',
        reason: `every region already serves ${input.version} with this config`,
      });
    }
    await this.emit([
      {
        type: 'PrecheckPassed',
        data: { checks: ['plan', 'freeze-window', 'config-schema', 'region-health', 'no-op'] },
      },
    ]);
    return plan;
  }

  /** Holds while paused; unwinds when the rollout was stopped. */
  async checkpoint(): Promise<void> {
    await condition(() => this.state.status !== 'PAUSED' || this.stopped);
    if (this.stopped) throw new StopRollout(this.state.stopReason!);
  }

  async runWave(wave: Wave): Promise<void> {
    await this.checkpoint();
    const { input } = this;
    await this.emit([{ type: 'WaveStarted', data: { wave: wave.index, regions: wave.regions } }]);
    const targets: RegionRef[] = wave.regions.map((region) => ({ region, endpoint: this.endpoints.get(region)! }));

    let before;
    try {
      before = await Promise.all(
        targets.map((t) => readRegionConfig.executeWithOptions({ ...REGION_READ, summary: `read ${t.region}` }, [t])),
      );
    } catch (err) {
      throw new StopRollout(`reading wave ${wave.index} before the push failed: ${failureMessage(err)}`);
    }
    // Each compensation is registered before the push it undoes, so a push that fails halfway
    // (or whose answer is lost) is still rolled back.
    before.forEach((live, i) => this.compensations.push({ ...targets[i], version: live.version, config: live.config }));
    if (this.stopped) throw new StopRollout(this.state.stopReason!);

    const results = await Promise.allSettled(
      targets.map((t) =>
        pushRegionConfig.executeWithOptions({ ...REGION_PUSH, summary: `push ${input.version} → ${t.region}` }, [
          { ...t, version: input.version, config: input.config },
        ]),
      ),
    );
    const pushed = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    if (pushed.length > 0) {
      await this.emit(
        pushed.map((p) => ({
          type: 'RegionConfigPushed',
          data: {
            region: p.region,
            wave: wave.index,
            version: p.version,
            previousVersion: p.previousVersion,
            configHash: p.configHash,
            changed: p.changed,
          },
        })),
      );
      await this.emit(
        pushed.map((p) => ({
          type: 'RegionConfigVerified',
          data: { region: p.region, wave: wave.index, version: p.version, configHash: p.configHash },
        })),
      );
    }
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed >= 0) {
      const reason = (results[failed] as PromiseRejectedResult).reason;
      throw new StopRollout(`push of ${input.version} to ${targets[failed].region} failed: ${failureMessage(reason)}`);
    }

    await this.bake(wave, targets);
    if (wave.requiresApproval) await this.awaitApproval(wave);
    await this.emit([{ type: 'WaveCompleted', data: { wave: wave.index } }]);
  }

  /**
   * Bakes the wave: gates are evaluated every interval by a heartbeating activity, and each
   * wait between evaluations is a durable timer that a halt or abort cuts short at once.
   */
  private async bake(wave: Wave, targets: RegionRef[]): Promise<void> {
    const { gateIntervalSeconds } = this.input;
    const perRegion = this.input.gates.filter((g) => g.kind !== 'canary');
    const canaries = this.input.gates.filter((g): g is CanaryGate => g.kind === 'canary');
    const deadline = Date.now() + wave.bakeSeconds * 1000;
    for (;;) {
      let results: GateEvaluation[] = [];
      if (perRegion.length > 0) {
        // On a stop the workflow moves on at once and leaves the read-only evaluation to finish
        // unobserved; cancelling it would only race its completion.
        let settled = false;
        const evaluation = evaluateGates.executeWithOptions(
          { ...GATE_EVALUATION, summary: `gates wave ${wave.index}: ${perRegion.map((g) => g.name).join(', ')}` },
          [{ wave: wave.index, service: this.input.service, regions: targets, gates: perRegion }],
        );
        evaluation.then(
          () => (settled = true),
          () => (settled = true),
        );
        await condition(() => settled || this.stopped);
        if (this.stopped) throw new StopRollout(this.state.stopReason!);
        results = await evaluation.catch((err: unknown) => {
          throw new StopRollout(`evaluating the gates of wave ${wave.index} failed: ${failureMessage(err)}`);
        });
      }
      // The canary judge needs unchanged regions to compare against; without any it does not apply.
      const judged = this.baselineRegions(targets).length > 0 ? canaries : [];
      for (const gate of judged) results.push(await this.judgeCanary(gate, wave, targets));
      if (results.length > 0) {
        await this.emit(results.map((r) => ({ type: 'HealthGateEvaluated', data: { wave: wave.index, ...r } })));
        const outcome = gateOutcome({
          wave: wave.index,
          results,
          canaryOnly: judged.length > 0 && perRegion.length === 0,
          pausedForNoData: [...this.pausedForNoData],
        });
        if (outcome.kind === 'STOP') throw new StopRollout(outcome.reason);
        // Awaited on every round, pauses or not: the commands' order in recorded histories depends on it.
        await this.pauseForMissingData(outcome.kind === 'PAUSE' ? outcome.pauses : []);
        if (outcome.kind === 'END_BAKE') return;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) return;
      if (await condition(() => this.stopped, Math.min(remaining, gateIntervalSeconds * 1000))) {
        throw new StopRollout(this.state.stopReason!);
      }
    }
  }

  /** Regions the rollout has not changed yet, outside this wave: the canary judge's baseline. */
  private baselineRegions(targets: RegionRef[]): string[] {
    const inWave = new Set(targets.map((t) => t.region));
    return Object.entries(this.state.regions)
      .filter(([name, state]) => state === 'PENDING' && !inWave.has(name))
      .map(([name]) => name)
      .sort();
  }

  /**
   * One interval of the sequential canary judge: the wave's regions against those not yet
   * changed. The judge is pure and lives in the workflow, so its state survives any crash.
   */
  private async judgeCanary(gate: CanaryGate, wave: Wave, targets: RegionRef[]): Promise<GateEvaluation> {
    const canaryRegions = targets.map((t) => t.region);
    const baselineRegions = this.baselineRegions(targets);
    const key = `${wave.index}/${gate.name}`;
    // Started before the read, as the judge always was: a gate the judge refuses fails before any read.
    const judge =
      this.canaryJudges.get(key) ??
      startCanaryJudge({
        ...DEFAULT_JUDGE,
        alpha: splitAlpha(gate.alpha, this.input.gates.filter((g) => g.kind === 'canary').length),
        beta: gate.beta,
        tolerance: gate.tolerance,
        maxTolerated: gate.maxTolerated,
        minRequests: gate.minRequests,
        maxDurationSeconds: gate.maxDurationSeconds,
        intervalSeconds: this.input.gateIntervalSeconds,
      });
    this.canaryJudges.set(key, judge);
    const base = { gate: gate.name, kind: gate.kind, region: canaryRegions.join(',') };
    const read = await readCanaryCounts.executeWithOptions(
      { ...GATE_EVALUATION, summary: `canary counts wave ${wave.index}: ${gate.name}` },
      [
        {
          gate,
          service: this.input.service,
          canaryRegions,
          baselineRegions,
        },
      ],
    );
    if ('noData' in read) return { ...base, verdict: 'NO_DATA', noData: gate.noData, detail: read.noData };
    const interval = judgeCanaryInterval(judge, read.totals);
    this.canaryJudges.set(key, interval.state);
    const { verdict, eFail, detail } = interval;
    if (eFail === undefined) return { ...base, verdict: 'CONTINUE', detail };
    if (verdict === 'INCONCLUSIVE') return { ...base, verdict: 'NO_DATA', noData: gate.noData, value: eFail, detail };
    return { ...base, verdict, value: eFail, detail };
  }

  /**
   * The default no-data policy: a person decides. The rollout pauses (once per gate and region
   * per wave) and holds before its next step until someone resumes or aborts it.
   */
  private async pauseForMissingData(pauses: NoDataPause[]): Promise<void> {
    for (const pause of pauses) {
      this.pausedForNoData.add(pause.key);
      if (this.state.status === 'PAUSED' || this.stopped) continue;
      await this.emit([{ type: 'RolloutPaused', data: { by: 'sluice', reason: pause.reason } }], 'sluice');
    }
  }

  private async awaitApproval(wave: Wave): Promise<void> {
    await this.emit([{ type: 'ApprovalRequested', data: { wave: wave.index } }]);
    const approved = () => this.state.actions.some((a) => a.action === 'APPROVED' && a.wave === wave.index);
    await condition(() => approved() || this.stopped);
    if (!approved()) throw new StopRollout(this.state.stopReason!);
  }

  /** Records that the Temporal workflow itself was cancelled, so the history says who stopped it. */
  async recordCancellation(): Promise<void> {
    if (this.state.aborted) return;
    await this.emit(
      [{ type: 'RolloutAborted', data: { by: 'temporal', reason: 'the workflow was cancelled in Temporal' } }],
      'temporal',
    );
  }

  /**
   * After a halt: our change or something outside? Records HaltAssessed with the evidence.
   * Runs beside the rollback, never before it; a failure is recorded as UNCLEAR, not thrown.
   */
  async assessHalt(): Promise<void> {
    // Added after the first histories were recorded: patched, so halted rollouts replay as they ran.
    if (this.haltedAt === null || !patched('halt-assessment')) return;
    const { input } = this;
    const haltedAt = this.haltedAt;
    let assessment: ChangeAssessment;
    try {
      assessment = await assessHalt.executeWithOptions(
        { ...HALT_ASSESSMENT, summary: 'assess the halt: our change or outside?' },
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
    await this.emit([{ type: 'HaltAssessed', data: assessment }]);
  }

  /**
   * Restores every touched region, newest push first, verifying each. A region that cannot be
   * restored after its retries leaves the rollout in ROLLBACK_FAILED, waiting for retryRollback.
   * Must run in a non-cancellable scope: a rollback that can be cancelled is no guarantee.
   * `beforeEnd` (the halt assessment) is awaited before the final event, so it stays inside the history.
   */
  async rollback(reason: string, beforeEnd: Promise<void> = Promise.resolve()): Promise<void> {
    const { input } = this;
    let pending = [...this.compensations].reverse();
    let attempt = 0;
    for (;;) {
      attempt += 1;
      await this.emit([
        {
          type: 'RollbackStarted',
          data: {
            reason,
            regions: pending.map((c) => c.region),
            attempt,
            ...(this.retryRequestedBy ? { by: this.retryRequestedBy } : {}),
          },
        },
      ]);
      const failed: Compensation[] = [];
      for (const c of pending) {
        try {
          const restored = await restoreRegionConfig.executeWithOptions(
            { ...ROLLBACK_PUSH, summary: `rollback ${c.region} → ${c.version ?? 'no config'}` },
            [c],
          );
          await this.emit([
            {
              type: 'RegionRolledBack',
              data: {
                region: c.region,
                fromVersion: input.version,
                toVersion: restored.version,
                configHash: restored.configHash,
                outcome: 'RESTORED',
              },
            },
          ]);
        } catch (err) {
          failed.push(c);
          await this.emit([
            {
              type: 'RegionRolledBack',
              data: {
                region: c.region,
                fromVersion: input.version,
                toVersion: c.version,
                configHash: null,
                outcome: 'FAILED',
                error: failureMessage(err),
              },
            },
          ]);
        }
      }
      await beforeEnd;
      if (failed.length === 0) {
        await this.emit([
          { type: 'RolloutRolledBack', data: { regions: this.compensations.map((c) => c.region).reverse(), reason } },
        ]);
        return;
      }
      await this.emit([{ type: 'RollbackFailed', data: { failedRegions: failed.map((c) => c.region), reason } }]);
      this.retryRequestedBy = null;
      await condition(() => this.retryRequestedBy !== null);
      pending = failed;
    }
  }
}
