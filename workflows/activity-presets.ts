import type { ActivityOptions } from '@temporalio/workflow';

/**
 * Recording history must not be lost: retried until PostgreSQL answers, with backoff
 * capped so a recovered database is used within half a minute.
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
