import { Inject } from '@nestjs/common';
import { Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { INCIDENT_DECISIONS } from '../gateway.tokens';
import type { ActionResult, IncidentDecisionRepository, StoredDecision } from '../hooks/incident-decision.repository';
import { IncidentDecisionModel, type DecisionAction } from './models/incident-decision.model';
import { Incident, type VerdictValue } from './models/insight.models';

const toAction = (a: ActionResult, resumed = false): DecisionAction => ({
  action: resumed ? 'RESUME' : a.action,
  service: a.service,
  rolloutId: a.reachedRolloutId ?? a.rolloutId,
  region: a.region,
  why: a.why,
  outcome: a.outcome,
  detail: a.detail,
});

function toModel(d: StoredDecision): IncidentDecisionModel {
  const { decision } = d;
  return {
    policy: decision.policy,
    rule: decision.rule,
    verdict: decision.verdict as VerdictValue | null,
    summary: decision.summary,
    topSuspects: decision.topSuspects.map((s) => ({ ...s, verdict: s.verdict as VerdictValue })),
    actions: d.results?.map((a) => toAction(a)) ?? decision.actions.map((a) => ({ ...a, outcome: null, detail: null })),
    resumed: (d.resumed ?? []).map((a) => toAction(a, true)),
    decidedAt: d.decidedAt,
    actedAt: d.actedAt,
    resolvedAt: d.resolvedAt,
  };
}

/** `Incident.decisions`: what the onIncident policy did about the alert (docs/INCIDENT-INSIGHT.md). */
@Resolver(() => Incident)
export class IncidentDecisionsResolver {
  constructor(@Inject(INCIDENT_DECISIONS) private readonly decisions: IncidentDecisionRepository) {}

  @ResolveField('decisions', () => [IncidentDecisionModel], {
    description:
      'What the service’s onIncident policy decided for this alert (its service and startsAt), oldest first: the rule, the verdict, the top suspects’ scores and e-values, each rollout halted or paused and why, and what resolving resumed. Under halt-service, the halt of the alert’s service (HALT_SERVICE), recorded once it was sent. Empty for an alert delivered while PostgreSQL was down.',
  })
  async decisionsOf(@Parent() incident: Incident): Promise<IncidentDecisionModel[]> {
    if (!incident.service) return [];
    return (await this.decisions.forAlert(incident.service, incident.startsAt)).map(toModel);
  }
}
