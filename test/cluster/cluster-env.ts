/**
 * What the cluster suite's global setup publishes: the cluster's addresses, and a loopback
 * control port through which a spec kills, stops and starts a Temporal process or PostgreSQL.
 * (Globals set up there are not visible inside test files, so the control goes over HTTP.)
 */
export const CLUSTER_CONTROL = 'SLUICE_CLUSTER_CONTROL';

export type ControlAction = 'kill' | 'stop' | 'start';

export interface ClusterControl {
  /** SIGKILL (`kill`), SIGTERM and wait (`stop`), or start again (`start`) one Temporal process. */
  temporal(name: string, action: ControlAction): Promise<void>;
  /** The Temporal processes by name, in start order: frontend, history-1, history-2, matching, worker. */
  temporalProcesses(): Promise<string[]>;
  /** Fast shutdown (`stop`) and start of PostgreSQL, which holds Temporal's and Sluice's databases. */
  postgres(action: 'stop' | 'start'): Promise<void>;
  /** Resolves once the frontend answers and history and matching serve a task queue. */
  waitUntilServing(): Promise<void>;
}

export function clusterControl(): ClusterControl {
  const control = process.env[CLUSTER_CONTROL];
  if (!control) throw new Error('the Temporal cluster is not running: run through npm run test:cluster');
  const post = async (path: string) => {
    const res = await fetch(`${control}${path}`, { method: 'POST' });
    if (!res.ok) throw new Error(`${path} failed: ${await res.text()}`);
    return res.text();
  };
  return {
    temporal: async (name, action) => void (await post(`/temporal/${name}/${action}`)),
    temporalProcesses: async () => JSON.parse(await post('/temporal')) as string[],
    postgres: async (action) => void (await post(`/postgres/${action}`)),
    waitUntilServing: async () => void (await post('/serving')),
  };
}
