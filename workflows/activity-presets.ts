import type { ActivityOptions } from '@temporalio/workflow';

/**
 * Recording history (and storing the rollout's config document) must not be lost: retried
 * until PostgreSQL answers, with backoff capped so a recovered database is used within half a minute.
 */
export const RECORD_EVENTS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
};

/** A push is idempotent per version, so retrying a lost answer is safe; a region that stays down fails the step. */
export const REGION_PUSH: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 5 },
};

/** Reads and prechecks: cheap, so retried quickly; a region that never answers fails the precheck. */
export const REGION_READ: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: '15 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '5 seconds',
    maximumAttempts: 3,
  },
};

/**
 * Rollback pushes retry longer than forward pushes: giving up means ROLLBACK_FAILED and a
 * person paged, so a short outage of the region is worth waiting out.
 */
export const ROLLBACK_PUSH: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 8 },
};

/**
 * A rollback's restores in one activity (`restoreRegionConfigs`): each region is tried once
 * inside it, and what fails there is retried region by region under {@link ROLLBACK_PUSH}.
 * The batch itself is retried once (restores are idempotent), then every region goes alone.
 */
export const ROLLBACK_BATCH: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 2 },
};

/**
 * One evaluation of the wave's gates (one bake tick); heartbeats per region, so a stuck probe
 * is noticed quickly. A regular activity, not a local one: the workflow waits for it idle, so
 * a halt that arrives meanwhile is handled at once instead of after the evaluation.
 */
export const GATE_EVALUATION: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 3 },
};

/**
 * One bake tick (`evaluateTick`), as {@link GATE_EVALUATION} with one attempt more: a tick is
 * scheduled before its instant, and its first attempt only waits for it (through
 * `nextRetryDelay`, which the retry honours whatever its intervals). Three are left to evaluate.
 */
export const BAKE_TICK: ActivityOptions = {
  ...GATE_EVALUATION,
  retry: { ...GATE_EVALUATION.retry, maximumAttempts: 4 },
};

export const CONFIG_VALIDATION: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3 },
};

/** Judging a halt reads a few Prometheus queries; it never holds up the rollback for long. */
export const HALT_ASSESSMENT: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 2 },
};

/**
 * One interval of a scenario gate (`runScenarioTick`): a Playwright process runs every
 * scenario for the wave's customers and the sampled controls', heartbeating while it runs.
 * As {@link BAKE_TICK}, its first attempt may only wait for its instant.
 */
export const SCENARIO_TICK: ActivityOptions = {
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 4 },
};
