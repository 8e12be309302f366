import { ActivityFailure, patched } from '@temporalio/workflow';
import { planRollout } from '../libs/domain/src/plan/plan-rollout';
import type { RolloutPlan } from '../libs/domain/src/plan/rollout-plan';
import type { PrecheckFailed } from '../libs/domain/src/rollout/rollout.events';
import { activeFreezeWindow } from '../libs/domain/src/service/freeze-window';
import { configValidation, failureMessage, gateEvaluation, regionRead } from './rollout-activities';
import type { RolloutContext } from './rollout-context';
import { rolloutRequested } from './rollout.types';

type Fail = (data: PrecheckFailed['data']) => Promise<null>;

/** Prechecks. Returns the plan, or null after recording PrecheckFailed (nothing was touched). */
export async function runPrechecks(ctx: RolloutContext): Promise<RolloutPlan | null> {
  await ctx.advance([rolloutRequested(ctx.input)]);
  const fail: Fail = async (data) => {
    await ctx.emit([{ type: 'PrecheckFailed', data }]);
    return null;
  };
  const step = { check: 'plan' };
  try {
    return await checks(ctx, fail, step);
  } catch (err) {
    // A precheck that could not run failed: nothing was touched, so there is nothing to roll
    // back (this ended ROLLED_BACK with an empty rollback before the patch).
    if (!(err instanceof ActivityFailure) || !patched('precheck-failure')) throw err;
    return fail({ check: step.check, code: 'PRECHECK_ERROR', reason: `could not check: ${failureMessage(err)}` });
  }
}

async function checks(ctx: RolloutContext, fail: Fail, step: { check: string }): Promise<RolloutPlan | null> {
  const { input } = ctx;

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
  await ctx.advance([{ type: 'RolloutPlanned', data: { plan, source: outcome.source } }]);
  if (outcome.violations.length > 0) return planFailure();

  const freeze = activeFreezeWindow(input.freezeWindows, new Date(), input.recurringFreezes);
  if (freeze) {
    return fail({
      check: 'freeze-window',
      code: 'FREEZE_WINDOW_ACTIVE',
      reason: `changes to ${input.service} are frozen from ${freeze.start} to ${freeze.end}: ${freeze.reason}`,
    });
  }

  if (input.config === undefined && input.configHash === undefined) {
    return fail({ check: 'config-schema', code: 'CONFIG_INVALID', reason: 'the rollout names no config document' });
  }
  step.check = 'config-schema';
  const config = await ctx.configRef();
  const validation = await configValidation.validateConfig.executeWithOptions(
    { summary: 'validate config against the service schema' },
    [{ ...config, schema: input.configSchema, ...ctx.regionConfigs() }],
  );
  if (!validation.valid) {
    return fail({ check: 'config-schema', code: 'CONFIG_INVALID', reason: validation.errors.join('; ') });
  }

  // Rollouts started before the redundancy rules never call it; patched, so they replay as they ran.
  if (input.dependencyFields?.length && input.redundancy && patched('redundancy-precheck')) {
    step.check = 'redundancy';
    const findings = await configValidation.checkRedundancy.executeWithOptions(
      { summary: `check redundancy across ${input.regions.length} regions` },
      [
        {
          ...config,
          ...ctx.regionConfigs(),
          service: input.service,
          regions: input.regions.map((r) => ({ region: r.name, endpoint: r.endpoint, weight: r.weight, pair: r.pair })),
          fields: input.dependencyFields,
          policy: input.redundancy,
        },
      ],
    );
    // an admin's override covers the violations it named when the rollout was started, no new ones
    const accepted = new Set(input.redundancyOverride?.violations ?? []);
    const refused = findings.filter((f) => f.severity === 'error' && !accepted.has(f.message));
    if (refused.length > 0) {
      return fail({
        check: 'redundancy',
        code: 'PLAN_INVALID',
        reason: refused.map((f) => f.message).join('; '),
        regions: [...new Set(refused.flatMap((f) => f.regions))],
      });
    }
  }

  // Added after the first histories were recorded: patched, so rollouts started before replay as they ran.
  step.check = 'gates';
  // Canary queries are checked too from `canary-gate-precheck` on (before, only prometheus gates').
  const checked =
    (input.gates.some((g) => g.kind === 'prometheus') && patched('prometheus-gate-precheck')) ||
    (input.gates.some((g) => g.kind === 'canary') && patched('canary-gate-precheck'));
  if (checked) {
    const problems = await gateEvaluation.checkGates.executeWithOptions({ summary: 'check gate queries' }, [
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

  step.check = 'region-health';
  const checks = await regionRead.checkRegions.executeWithOptions(
    { summary: `check ${input.regions.length} regions` },
    [
      {
        regions: input.regions.map((r) => ({ region: r.name, endpoint: r.endpoint })),
        version: input.version,
        ...config,
        ...ctx.regionConfigs(),
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
      reason: `every region already serves ${input.version} with ${input.regionConfigHashes ? 'its' : 'this'} config`,
    });
  }
  await ctx.advance([
    {
      type: 'PrecheckPassed',
      data: { checks: ['plan', 'freeze-window', 'config-schema', 'region-health', 'no-op'] },
    },
  ]);
  return plan;
}
