import { heartbeat } from '@temporalio/activity';
import { isSluiceError, type GateEvaluation, type GateSpec, type ProbeGate } from '../../../../libs/domain/src';
import type { RegionClient } from '../../../../libs/targets/src';
import type { RegionRef } from './region.activities';

export interface EvaluateGatesInput {
  wave: number;
  regions: RegionRef[];
  gates: GateSpec[];
}

async function evaluateProbe(regions: RegionClient, gate: ProbeGate, target: RegionRef): Promise<GateEvaluation> {
  const base = { gate: gate.name, kind: gate.kind, region: target.region };
  try {
    const response = await regions.probe(target.endpoint, gate.path, gate.timeoutMs);
    const statusOk = response.status === gate.expectStatus;
    const bodyOk = gate.expectBodyContains === undefined || response.body.includes(gate.expectBodyContains);
    const expected = `expected ${gate.expectStatus}${gate.expectBodyContains ? ` with "${gate.expectBodyContains}"` : ''}`;
    return {
      ...base,
      verdict: statusOk && bodyOk ? 'PASS' : 'FAIL',
      value: response.status,
      detail: `GET ${gate.path} answered ${response.status} in ${response.latencyMs} ms; ${expected}${bodyOk ? '' : `; body: ${response.body.slice(0, 120)}`}`,
    };
  } catch (err) {
    // A probe that gets no answer is what a customer would see: a failure, not missing data.
    if (!isSluiceError(err)) throw err;
    return { ...base, verdict: 'FAIL', detail: err.message };
  }
}

export function createGateActivities(regions: RegionClient) {
  return {
    /** Evaluates every gate against every region of the wave once; heartbeats as it goes. */
    async evaluateGates(input: EvaluateGatesInput): Promise<GateEvaluation[]> {
      const results: GateEvaluation[] = [];
      for (const gate of input.gates) {
        for (const target of input.regions) {
          heartbeat({ gate: gate.name, region: target.region });
          switch (gate.kind) {
            case 'probe':
              results.push(await evaluateProbe(regions, gate, target));
              break;
            default: {
              const unknown: never = gate.kind;
              throw new Error(`unknown gate kind ${String(unknown)}`);
            }
          }
        }
      }
      return results;
    },
  };
}
