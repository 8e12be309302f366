import { Args, GraphQLISODateTime, ID, Int, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { RequireRole } from '../auth/roles.decorator';
import { InsightService } from './insight.service';
import { AffectedCustomer, AlertInput, Incident, Suspect } from './models/insight.models';
import type { RankedCustomer } from '../../../../libs/insight/src';

const toModel = (rows: RankedCustomer[]): AffectedCustomer[] =>
  rows.map((r) => ({
    customer: r.customer,
    region: r.region,
    exposedFrom: r.from,
    exposedUntil: r.until,
    rolledBack: r.rolledBack,
    endedBy: r.endedBy as AffectedCustomer['endedBy'],
    rank: r.rank,
    exposedSeconds: r.exposedSeconds,
    requests: r.requests,
    errorRate: r.errorRate,
    baselineErrorRate: r.baselineErrorRate,
    badRequestsEstimate: r.badRequestsEstimate,
    severity: r.severity as AffectedCustomer['severity'],
    measuredBy: r.measuredBy as AffectedCustomer['measuredBy'],
    note: r.note,
    observedFailing: Boolean(r.observed),
    failedScenarios: r.observed?.scenarios ?? [],
    firstFailureAt: r.observed?.firstFailureAt ?? null,
    lastFailureAt: r.observed?.lastFailureAt ?? null,
    journeyFailures: r.observed?.failures ?? null,
    journeyRuns: r.observed?.runs ?? null,
  }));

@Resolver(() => Suspect)
export class InsightResolver {
  constructor(private readonly insight: InsightService) {}

  @Query(() => Incident, {
    description:
      'Everything Sluice knows about an alert: changes in its region and service and just before it, the ranked suspects with evidence, and the change-or-external verdict.',
  })
  @RequireRole('viewer')
  incident(
    @Args('alert', { type: () => AlertInput }) alert: AlertInput,
    @Args('window', { type: () => Int, defaultValue: 60, description: 'Minutes before startsAt to look at.' })
    window: number,
    @Args('recent', { type: () => Int, defaultValue: 15, description: 'Minutes before startsAt for recentChanges.' })
    recent: number,
  ): Promise<Incident> {
    return this.insight.incident(alert, window, recent);
  }

  @Query(() => [Suspect], {
    description: 'Changes in the `window` minutes before `at` in a region, ranked by how suspect they are.',
  })
  @RequireRole('viewer')
  suspects(
    @Args('region') region: string,
    @Args('at', { type: () => GraphQLISODateTime }) at: Date,
    @Args('window', { type: () => Int, defaultValue: 60 }) window: number,
    @Args('service', {
      type: () => String,
      nullable: true,
      description: 'The alert’s service, if known: scores scope.',
    })
    service: string | undefined,
  ): Promise<Suspect[]> {
    return this.insight.suspects({ region, at, windowMinutes: window, service: service ?? undefined });
  }

  @Query(() => [AffectedCustomer], {
    description:
      'Customers of every region the rollout reached, ranked for outreach: when they were exposed, whether it was undone, and how badly (error rate against the baseline, from Prometheus).',
  })
  @RequireRole('viewer')
  async affectedCustomers(@Args('rolloutId', { type: () => ID }) rolloutId: string): Promise<AffectedCustomer[]> {
    return toModel(await this.insight.affectedCustomers(rolloutId));
  }

  @ResolveField('affectedCustomers', () => [AffectedCustomer], {
    description: 'Customers of the regions this suspect’s rollout reached, ranked for outreach.',
  })
  async affectedCustomersOf(@Parent() suspect: Suspect): Promise<AffectedCustomer[]> {
    return toModel(await this.insight.affectedCustomers(suspect.rolloutId));
  }
}
