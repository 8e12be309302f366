import { createHash } from 'node:crypto';
import type { PgServiceCatalog } from '../../../../libs/service-catalog/src';
import type { Alert, AlertLabels } from './alertmanager-payload';
import type { HaltBody } from './halt-hook';
import { HALT_ID_WINDOW_MS } from './halt-hook';
import type { NewHaltRequest } from './halt-request.repository';
import { matchRegion, type RegionMatchMode } from './region-matching';

/** An alert Sluice could not tie to a service or a region of it: answered, counted, not delivered. */
export interface UnmatchedAlert {
  fingerprint: string;
  service: string;
  region: string | null;
  why: 'UNKNOWN_SERVICE' | 'UNKNOWN_REGION';
}

export interface Intake {
  requests: NewHaltRequest[];
  /** Resolved alerts, and alerts without a service label. */
  ignored: number;
  unmatched: UnmatchedAlert[];
  /** Resolved alerts of a service: what the onIncident policy paused for them may resume. */
  resolved: ResolvedAlert[];
}

export interface ResolvedAlert {
  fingerprint: string;
  service: string;
  startsAt: Date;
}

/** Regions of a service, or undefined when the catalog has no such service. */
export type RegionsOf = (service: string) => Promise<readonly string[] | undefined>;

export function catalogRegions(catalog: PgServiceCatalog): RegionsOf {
  return async (service) => (await catalog.find(service))?.topology.regions.map((r) => r.name);
}

/**
 * Turns what monitoring sent into halt requests. With `regionsOf` (the catalog), each alert's
 * service and region are matched against the registered topology; an alert that names an
 * unknown service or region is UNMATCHED. Without it (PostgreSQL down), labels are taken as
 * they are, and the workflow decides.
 */
export class HaltIntake {
  constructor(
    readonly labels: AlertLabels,
    private readonly regionMatch: RegionMatchMode,
  ) {}

  async fromAlerts(alerts: readonly Alert[], requestedBy: string, regionsOf?: RegionsOf): Promise<Intake> {
    const intake: Intake = { requests: [], ignored: 0, unmatched: [], resolved: [] };
    const known = new Map<string, readonly string[] | undefined>();
    for (const alert of alerts) {
      const service = alert.labels[this.labels.service];
      if (alert.status !== 'firing' || !service) {
        intake.ignored += 1;
        if (service && alert.status === 'resolved') {
          intake.resolved.push({ fingerprint: alert.fingerprint, service, startsAt: new Date(alert.startsAt) });
        }
        continue;
      }
      const label = alert.labels[this.labels.region] ?? null;
      const request: NewHaltRequest = {
        source: 'alertmanager',
        dedupeKey: alert.fingerprint,
        startsAt: new Date(alert.startsAt),
        service,
        region: label,
        alertRegion: label,
        reason: alert.labels.alertname ?? 'unnamed alert',
        alert,
        requestedBy,
      };
      if (regionsOf) {
        if (!known.has(service)) known.set(service, await regionsOf(service));
        const why = this.match(request, known.get(service));
        if (why) {
          intake.unmatched.push({ fingerprint: alert.fingerprint, service, region: label, why });
          request.outcome = 'UNMATCHED';
        }
      }
      intake.requests.push(request);
    }
    return intake;
  }

  /**
   * A `/hooks/halt` call. With an `id`, repeats within HALT_ID_WINDOW_MS share a dedupe key
   * (the id, and the start of the window); without one, every call is new.
   */
  async fromHook(body: HaltBody, requestedBy: string, now: Date, regionsOf?: RegionsOf): Promise<Intake> {
    const { service, region, reason, id } = body;
    const windowStart = new Date(Math.floor(now.getTime() / HALT_ID_WINDOW_MS) * HALT_ID_WINDOW_MS);
    const request: NewHaltRequest = {
      source: 'hook',
      dedupeKey: createHash('sha256')
        .update(id ?? `${service}/${region ?? ''}/${reason}/${now.toISOString()}`)
        .digest('hex')
        .slice(0, 16),
      startsAt: id ? windowStart : now,
      service,
      region: region ?? null,
      alertRegion: region ?? null,
      reason,
      alert: null,
      requestedBy,
    };
    const intake: Intake = { requests: [request], ignored: 0, unmatched: [], resolved: [] };
    if (regionsOf) {
      const why = this.match(request, await regionsOf(service));
      if (why) {
        intake.unmatched.push({ fingerprint: request.dedupeKey, service, region: region ?? null, why });
        request.outcome = 'UNMATCHED';
      }
    }
    return intake;
  }

  /** Sets the request's region to the service region it matched; says why when none. */
  private match(request: NewHaltRequest, regions: readonly string[] | undefined): UnmatchedAlert['why'] | undefined {
    if (regions === undefined) return 'UNKNOWN_SERVICE';
    if (request.alertRegion === null) return undefined;
    const region = matchRegion(request.alertRegion, regions, this.regionMatch);
    if (region === undefined) return 'UNKNOWN_REGION';
    request.region = region;
    return undefined;
  }
}
