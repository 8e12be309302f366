/**
 * Stable error codes. Clients branch on these, so a code never changes meaning;
 * the message is for people and may be reworded.
 */
export const ErrorCode = {
  BadUserInput: 'BAD_USER_INPUT',
  NotFound: 'NOT_FOUND',
  AlreadyExists: 'ALREADY_EXISTS',
  RolloutInProgress: 'ROLLOUT_IN_PROGRESS',
  InvalidState: 'INVALID_STATE',
  /** Abort or halt of a rollout whose rollback failed: it names the exits (retry, resolve, abandon). */
  RollbackFailed: 'ROLLBACK_FAILED',
  /** startRollout while an emergency freeze covers the service. */
  Frozen: 'FROZEN',
  Forbidden: 'FORBIDDEN',
  Unauthenticated: 'UNAUTHENTICATED',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  QueryTooComplex: 'QUERY_TOO_COMPLEX',
  BadRequest: 'BAD_REQUEST',
  PlanInvalid: 'PLAN_INVALID',
  StreamVersionConflict: 'STREAM_VERSION_CONFLICT',
  RegionUnreachable: 'REGION_UNREACHABLE',
  RegionRejectedPush: 'REGION_REJECTED_PUSH',
  VerificationFailed: 'VERIFICATION_FAILED',
  /**
   * The region changed since Sluice read it: a conditional write refused (412), or a retried
   * restore that finds a region changed by hand since the failed restore (force overwrites).
   */
  RegionChanged: 'REGION_CHANGED',
  /** A region answered outside docs/REGION-CONTRACT.md (a malformed body, a version without its config). */
  RegionProtocol: 'REGION_PROTOCOL',
  ServiceUnavailable: 'SERVICE_UNAVAILABLE',
  MetricsUnavailable: 'METRICS_UNAVAILABLE',
  /** Prometheus or Alertmanager refused Sluice's credentials (401, 403): a setting to fix, not a blip to retry. */
  MonitoringUnauthorized: 'MONITORING_UNAUTHORIZED',
  GateMisconfigured: 'GATE_MISCONFIGURED',
  /** A config document could not be loaded by its hash (the config store is down, or never had it). */
  ConfigUnavailable: 'CONFIG_UNAVAILABLE',
  /** Playwright could not run customer scenarios at all (not a scenario that failed). */
  ScenarioRunFailed: 'SCENARIO_RUN_FAILED',
  Internal: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface FieldError {
  /** Dotted path of the failing field, e.g. `regions.2.endpoint`. */
  field: string;
  message: string;
}

export class SluiceError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'SluiceError';
  }

  static badInput(message: string, fields: FieldError[]): SluiceError {
    return new SluiceError(ErrorCode.BadUserInput, message, { fields });
  }
}

export function isSluiceError(value: unknown): value is SluiceError {
  return value instanceof SluiceError;
}
