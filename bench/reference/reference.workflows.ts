import { condition, defineQuery, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { ReferenceActivities } from './reference.activities';

/** The benchmarks' references: Temporal with nothing of Sluice's around it. */
export const pokeSignal = defineSignal('poke');
export const pokesQuery = defineQuery<number>('pokes');

/** Counts signals and answers the count: the raw signal-then-query round trip. */
export async function signalQueryReference(): Promise<void> {
  let pokes = 0;
  setHandler(pokeSignal, () => void pokes++);
  setHandler(pokesQuery, () => pokes);
  await condition(() => false);
}

const { noop } = proxyActivities<ReferenceActivities>({ startToCloseTimeout: '30 seconds' });

/** Runs trivial activities in the given batch sizes (a batch in parallel), like a rollout's activity pattern. */
export async function bareRollout(batches: number[]): Promise<void> {
  for (const size of batches) await Promise.all(Array.from({ length: size }, () => noop()));
}
