import { ApplicationFailure } from '@temporalio/common';
import { ErrorCode, isSluiceError } from '../../../../libs/domain/src';

/**
 * Turns a target error into a Temporal failure: a refused request is final; an unreachable
 * region and a config store that does not answer are retried.
 */
const RETRYABLE = new Set<string>([ErrorCode.RegionUnreachable, ErrorCode.ConfigUnavailable]);

export function toActivityFailure(err: unknown): unknown {
  if (!isSluiceError(err)) return err;
  return ApplicationFailure.create({
    message: err.message,
    type: err.code,
    nonRetryable: !RETRYABLE.has(err.code),
    details: [err.details],
  });
}

export async function asActivity<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw toActivityFailure(err);
  }
}
