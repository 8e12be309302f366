import type { RolloutEvent } from '../rollout/rollout.events';

/**
 * What Sluice tells people and dashboards about, each from one kind of event. Rollout
 * triggers speak of a whole rollout; REGION_PUSHED and REGION_ROLLED_BACK of one region's
 * change, for dashboard annotations.
 */
export const NOTIFICATION_TRIGGERS = [
  'APPROVAL_REQUESTED',
  'HALTED',
  'ROLLED_BACK',
  'ROLLBACK_FAILED',
  'SUCCEEDED',
  'PRECHECK_FAILED',
  'REGION_PUSHED',
  'REGION_ROLLED_BACK',
] as const;
export type NotificationTrigger = (typeof NOTIFICATION_TRIGGERS)[number];

/** Ordered: a channel with `minSeverity: warning` gets warning and critical. */
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

const TRIGGER_OF: Partial<Record<RolloutEvent['type'], NotificationTrigger>> = {
  ApprovalRequested: 'APPROVAL_REQUESTED',
  RolloutHalted: 'HALTED',
  RolloutRolledBack: 'ROLLED_BACK',
  RollbackFailed: 'ROLLBACK_FAILED',
  RolloutSucceeded: 'SUCCEEDED',
  PrecheckFailed: 'PRECHECK_FAILED',
  RegionConfigPushed: 'REGION_PUSHED',
  RegionRolledBack: 'REGION_ROLLED_BACK',
};

/** A failed rollback pages: a person must act (retryRollback, resolveRegion, abandonRollout). */
export const SEVERITY_OF: Record<NotificationTrigger, Severity> = {
  APPROVAL_REQUESTED: 'info',
  HALTED: 'warning',
  ROLLED_BACK: 'warning',
  ROLLBACK_FAILED: 'critical',
  SUCCEEDED: 'info',
  PRECHECK_FAILED: 'warning',
  REGION_PUSHED: 'info',
  REGION_ROLLED_BACK: 'warning',
};

/** The rollout an event belongs to, from its stream's RolloutRequested. */
export interface RolloutRef {
  rolloutId: string;
  service: string;
  version: string;
}

/** One thing to tell, before any channel's format: what every sink renders from. */
export interface Notification {
  /** The event's id: receivers dedupe on it (the CloudEvents `id`). */
  eventId: string;
  trigger: NotificationTrigger;
  severity: Severity;
  rolloutId: string;
  service: string;
  version: string;
  /** When the event was recorded (ISO 8601). */
  time: string;
  /** One line for people, e.g. "checkout v42 halted: error rate 7% in eu-west". */
  summary: string;
  /** The region a REGION_* trigger speaks of. */
  region?: string;
  /** The wave an approval is asked for. */
  wave?: number;
  /** Why the rollout stopped (halts, rollbacks, failed prechecks). */
  reason?: string;
  /** Regions a failed rollback left unrestored, or a success or rollback covered. */
  regions?: string[];
}

function describe(
  event: RolloutEvent,
  ref: RolloutRef,
): Pick<Notification, 'summary' | 'region' | 'wave' | 'reason' | 'regions'> {
  const what = `${ref.service} ${ref.version}`;
  switch (event.type) {
    case 'ApprovalRequested':
      return { summary: `${what} waits for approval of wave ${event.data.wave}`, wave: event.data.wave };
    case 'RolloutHalted':
      return { summary: `${what} halted: ${event.data.reason}`, reason: event.data.reason };
    case 'RolloutRolledBack':
      return {
        summary: `${what} rolled back in ${event.data.regions.length} region(s): ${event.data.reason}`,
        reason: event.data.reason,
        regions: event.data.regions,
      };
    case 'RollbackFailed':
      return {
        summary: `${what} rollback FAILED in ${event.data.failedRegions.join(', ')}: ${event.data.reason}`,
        reason: event.data.reason,
        regions: event.data.failedRegions,
      };
    case 'RolloutSucceeded':
      return { summary: `${what} rolled out to ${event.data.regions.length} region(s)`, regions: event.data.regions };
    case 'PrecheckFailed':
      return {
        summary: `${what} failed precheck ${event.data.check}: ${event.data.reason}`,
        reason: `${event.data.code}: ${event.data.reason}`,
      };
    case 'RegionConfigPushed':
      return { summary: `${what} pushed to ${event.data.region}`, region: event.data.region, wave: event.data.wave };
    case 'RegionRolledBack':
      return event.data.outcome === 'RESTORED'
        ? {
            summary: `${what} rolled back in ${event.data.region} to ${event.data.toVersion ?? 'nothing'}`,
            region: event.data.region,
          }
        : {
            summary: `${what} restore FAILED in ${event.data.region}: ${event.data.error ?? 'unknown error'}`,
            region: event.data.region,
            reason: event.data.error,
          };
    default:
      return { summary: what };
  }
}

/**
 * The notification an event makes, or null when it makes none. A push that changed nothing
 * (the region already ran the version) is not a change, so it is not annotated.
 */
export function notificationFor(
  event: RolloutEvent & { eventId: string; recordedAt: Date },
  ref: RolloutRef,
): Notification | null {
  const trigger = TRIGGER_OF[event.type];
  if (!trigger) return null;
  if (event.type === 'RegionConfigPushed' && !event.data.changed) return null;
  const severity =
    event.type === 'RegionRolledBack' && event.data.outcome === 'FAILED' ? 'critical' : SEVERITY_OF[trigger];
  const details = Object.fromEntries(Object.entries(describe(event, ref)).filter(([, v]) => v !== undefined));
  return {
    eventId: event.eventId,
    trigger,
    severity,
    rolloutId: ref.rolloutId,
    service: ref.service,
    version: ref.version,
    time: event.recordedAt.toISOString(),
    ...(details as Pick<Notification, 'summary'>),
  };
}

/** What a channel wants: its triggers, and optionally only some services and severities. */
export interface NotificationFilter {
  triggers: readonly NotificationTrigger[];
  /** Empty: every service. */
  services: readonly string[];
  minSeverity: Severity;
}

export function wants(filter: NotificationFilter, n: Notification): boolean {
  return (
    filter.triggers.includes(n.trigger) &&
    (filter.services.length === 0 || filter.services.includes(n.service)) &&
    SEVERITIES.indexOf(n.severity) >= SEVERITIES.indexOf(filter.minSeverity)
  );
}
