import { TargetKindValue } from '../services/models/region.model';
import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { SluiceError } from '../../../../libs/domain/src';
import {
  BlameEngine,
  affectedCustomers,
  customerImpact,
  withObservedJourneys,
  exposures,
  rankAffectedCustomers,
  type AffectedCustomersReport,
  type ChangeAssessment,
  type ExposureReadings,
  type IncidentAnalyzer,
  type RankedCustomer,
  type RegionShift,
  type ShiftTest,
} from '../../../../libs/insight/src';
import type { ReadModels, RegionChangeRow } from '../../../../libs/projections/src';
import type { PgServiceCatalog } from '../../../../libs/service-catalog/src';
import type { GatewayConfig } from '../gateway.config';
import { GATEWAY_SETTINGS, INCIDENT_ANALYZER, READ_MODELS, SCENARIO_RUNS, SERVICE_CATALOG } from '../gateway.tokens';
import type { PgScenarioRuns } from '../../../../libs/scenarios/src/scenario-runs-store';
import type { RegionChange, RegionChangeKind } from '../history/models/history.models';
import type { Incident, Suspect, VerdictValue } from './models/insight.models';

export const MAX_WINDOW_MINUTES = 7 * 24 * 60;
const MAX_ROWS = 10_000;

export interface SuspectsQuery {
  region?: string;
  service?: string;
  at: Date;
  windowMinutes: number;
}

const labelsSchema = z.record(z.string(), z.string(), { error: 'labels must be an object of string values' });

const toChange = (r: RegionChangeRow): RegionChange => ({
  ...r,
  kind: r.kind as RegionChangeKind,
  targetKind: r.targetKind as TargetKindValue | null,
});

function checkWindow(field: string, minutes: number): void {
  if (!(Number.isInteger(minutes) && minutes >= 1 && minutes <= MAX_WINDOW_MINUTES)) {
    const message = `${field} must be a whole number of minutes from 1 to ${MAX_WINDOW_MINUTES}`;
    throw SluiceError.badInput(message, [{ field, message }]);
  }
}

const percent = (rate: number | null) => (rate === null ? 'n/a' : `${(rate * 100).toFixed(1)}%`);
const evalue = (e: number) => (e >= 1e4 ? e.toExponential(1) : e.toFixed(1));

function describeShift(what: string, t: ShiftTest): string {
  if (!t.enoughData)
    return `${what}: too few requests to judge (${t.before.requests} before, ${t.after.requests} after)`;
  return (
    `${what} ${percent(t.beforeRate)} (${t.before.events}/${t.before.requests}) → ${percent(t.afterRate)} ` +
    `(${t.after.events}/${t.after.requests}), e-value ${evalue(t.eValue)}${t.degraded ? ' (a rise)' : ''}`
  );
}

export const MAX_ROLLOUT_ID_LENGTH = 200;

function checkRolloutId(rolloutId: string): void {
  if (rolloutId.trim() === '' || rolloutId.length > MAX_ROLLOUT_ID_LENGTH) {
    const message = `rolloutId must be 1 to ${MAX_ROLLOUT_ID_LENGTH} characters, not blank`;
    throw SluiceError.badInput(message, [{ field: 'rolloutId', message }]);
  }
}

const unreadable = (why: string): ExposureReadings => ({ error: why, of: () => ({ measured: why, note: null }) });

/** Incident insight: what changed, which change is suspect, our change or outside, who is affected. */
@Injectable()
export class InsightService {
  constructor(
    @Inject(READ_MODELS) private readonly readModels: ReadModels,
    @Inject(SERVICE_CATALOG) private readonly catalog: PgServiceCatalog,
    @Inject(INCIDENT_ANALYZER) private readonly analyzer: IncidentAnalyzer,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewayConfig,
    @Inject(SCENARIO_RUNS) private readonly scenarioRuns: PgScenarioRuns,
  ) {
    this.blame = new BlameEngine(
      readModels,
      async (service) => (await catalog.find(service))?.topology.regions.map((r) => r.name),
      analyzer,
      (region) => catalog.servicesIn(region),
    );
  }

  private readonly blame: BlameEngine<RegionChangeRow>;

  /** Changes before `at` in the region (or, without one, the service), scored and ranked. */
  async suspects(query: SuspectsQuery): Promise<Suspect[]> {
    checkWindow('window', query.windowMinutes);
    if (!query.region && !query.service) {
      const message = 'name a region or a service';
      throw SluiceError.badInput(message, [{ field: 'region', message }]);
    }
    const scored = await this.blame.suspects(query);
    return scored.map(({ change, assessment, focus, control, minutesBeforeAlert, score, likelyCause }, i) => {
      const controlDegraded = control.filter((r) => r.errors.degraded || r.latency.degraded).length;
      const text = [
        `${change.kind === 'PUSH' ? 'push' : 'rollback'} of ${change.service} ${change.toVersion ?? '(no config)'} to ${change.region} ${minutesBeforeAlert} min before the alert`,
        focus ? describeShift('errors', focus.errors) : `no metrics: ${assessment.error ?? 'no series for the region'}`,
        ...(focus
          ? [
              describeShift('slow requests', focus.latency),
              `${controlDegraded} of ${control.length} regions without the change degraded too`,
            ]
          : []),
      ].join('; ');
      return {
        rank: i + 1,
        score: score.score,
        likelyCause,
        rolloutId: change.rolloutId,
        change: toChange(change),
        verdict: assessment.verdict as VerdictValue,
        explanation: {
          text,
          minutesBeforeAlert,
          errors: focus?.errors ?? null,
          latency: focus?.latency ?? null,
          testStatistic: focus ? Math.max(focus.errors.eValue, focus.latency.eValue) : 1,
          shiftStrength: score.shiftStrength,
          controlDegradedShare: score.controlDegradedShare,
          proximity: score.proximity,
          scope: score.scope,
        },
        assessment: this.toAssessmentModel(assessment),
      };
    });
  }

  /** One question, every answer: the alert's changes, ranked suspects, the verdict. */
  async incident(
    alert: { labels: unknown; startsAt: Date },
    windowMinutes: number,
    recentMinutes: number,
  ): Promise<Incident> {
    checkWindow('window', windowMinutes);
    checkWindow('recent', recentMinutes);
    const parsed = labelsSchema.safeParse(alert.labels);
    if (!parsed.success) {
      const message = 'alert.labels must be an object of string values, as in an Alertmanager alert';
      throw SluiceError.badInput(message, [{ field: 'alert.labels', message }]);
    }
    const labels = parsed.data;
    const names = this.settings.alertLabels;
    const service = labels[names.service] || undefined;
    const region = labels[names.region] || undefined;
    if (!service && !region) {
      const message = `the alert needs a "${names.service}" or a "${names.region}" label`;
      throw SluiceError.badInput(message, [{ field: 'alert.labels', message }]);
    }
    const at = alert.startsAt;
    const to = new Date(at.getTime() + 1);
    const from = new Date(at.getTime() - windowMinutes * 60_000);
    const [regionChanges, serviceChanges, recentChanges, suspects, journeys] = await Promise.all([
      region ? this.readModels.changes({ region, from, to, limit: MAX_ROWS }) : [],
      service ? this.readModels.changes({ service, from, to, limit: MAX_ROWS }) : [],
      this.readModels.changes({ from: new Date(at.getTime() - recentMinutes * 60_000), to, limit: MAX_ROWS }),
      this.suspects({ region, service, at, windowMinutes }),
      // the customer scenarios up to now: an alert is often read while it still fires
      service ? this.scenarioRuns.failuresByRegion(service, from, new Date()) : [],
    ]);
    const top = suspects[0];
    const scope = [service, region].filter(Boolean).join(' in ');
    return {
      alertname: labels.alertname ?? null,
      service: service ?? null,
      region: region ?? null,
      startsAt: at,
      regionChanges: regionChanges.map(toChange),
      serviceChanges: serviceChanges.map(toChange),
      recentChanges: recentChanges.map(toChange),
      suspects,
      journeys: [...journeys].sort((a, b) => Number(b.failures > 0) - Number(a.failures > 0)),
      verdict: top
        ? { verdict: top.verdict, summary: top.assessment.summary, rolloutId: top.rolloutId, evidence: top.assessment }
        : {
            verdict: 'LIKELY_EXTERNAL' as VerdictValue,
            summary: `Sluice changed nothing in ${scope} in the ${windowMinutes} minutes before the alert`,
            rolloutId: null,
            evidence: null,
          },
    };
  }

  /** The rollout's affected customers in outreach order (see rankAffectedCustomers). */
  async affectedCustomers(rolloutId: string): Promise<RankedCustomer[]> {
    return (await this.affectedCustomersReport(rolloutId)).customers;
  }

  /**
   * Every customer of every region the rollout changed, with its exposure, its error rate
   * while exposed against the span before, the journeys of theirs the scenario gates saw
   * failing there (observed, beside merely exposed), and its rank for outreach. When
   * Prometheus cannot be read the customers are still listed, with severity UNKNOWN.
   */
  async affectedCustomersReport(rolloutId: string, now = new Date()): Promise<AffectedCustomersReport> {
    checkRolloutId(rolloutId);
    const rollout = await this.readModels.rollout(rolloutId);
    if (!rollout) throw new SluiceError('NOT_FOUND', `rollout "${rolloutId}" does not exist`, { rolloutId });
    const report: AffectedCustomersReport = {
      rolloutId,
      service: rollout.service,
      generatedAt: now,
      metricsError: null,
      customers: [],
    };
    const ours = await this.readModels.changes({ rolloutId, limit: MAX_ROWS });
    const firstPush = ours.find((c) => c.kind === 'PUSH' && c.changed);
    if (!firstPush) return report;
    const regions = [...new Set(ours.map((c) => c.region))];
    const history = await this.readModels.changes({
      service: rollout.service,
      regions,
      from: firstPush.changedAt,
      limit: MAX_ROWS,
    });
    const topology = (await this.catalog.find(rollout.service))?.topology;
    const customersOf = new Map((topology?.regions ?? []).map((r) => [r.name, r.customers]));
    const exposed = exposures(rolloutId, history);
    const rows = affectedCustomers(exposed, customersOf);
    if (rows.length === 0) return report;
    const readings = await this.analyzer
      .measureExposures(rollout.service, exposed, now)
      .catch((err: unknown) => unreadable(`the metrics could not be read (${(err as Error).message})`));
    const observed = await this.scenarioRuns.observedFailures(rolloutId);
    const impacts = withObservedJourneys(
      rows.map((row) => {
        const { measured, note } = readings.of(row);
        return customerImpact(row, measured, now, note);
      }),
      observed,
    );
    return { ...report, metricsError: readings.error, customers: rankAffectedCustomers(impacts) };
  }

  private toAssessmentModel(a: ChangeAssessment) {
    return {
      ...a,
      verdict: a.verdict as VerdictValue,
      pivot: new Date(a.pivot),
      beforeFrom: new Date(a.beforeFrom),
      afterTo: new Date(a.afterTo),
      regions: a.regions.map((r: RegionShift) => ({ ...r, degraded: r.errors.degraded || r.latency.degraded })),
      error: a.error ?? null,
    };
  }
}
