import { ApplicationFailure } from '@temporalio/common';
import { ErrorCode, isSluiceError } from '../../../../libs/domain/src';

/** Turns a target error into a Temporal failure: a refused request is final, an unreachable region is retried. */
export function toActivityFailure(err: unknown): unknown {
  if (!isSluiceError(err)) return err;
  return ApplicationFailure.create({
    message: err.message,
    type: err.code,
    nonRetryable: err.code !== ErrorCode.RegionUnreachable,
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
