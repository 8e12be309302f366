import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockActivityEnvironment } from '@temporalio/testing';
import { gateSpecSchema, type GateSpec } from '../../libs/domain/src';
import { AlertmanagerClient, HttpRegionClient, PrometheusClient } from '../../libs/targets/src';
import { createGateActivities } from '../../apps/worker/src/activities/gate.activities';

/** What the gate activities' specs share: scrape targets, a Prometheus that hangs, activity contexts. */
/** A scrape target whose exposition text the spec sets. */
export async function startExporter(): Promise<{ port: number; set(text: string): void; close(): Promise<void> }> {
  let text = '';
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    set: (t) => (text = t),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** "Prometheus does not answer": accepts the connection, never responds. */
export async function startHangingServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An activity's context as the worker gives it under GATE_EVALUATION-like options (no schedule-to-close). */
export const activityEnvironment = (startToCloseTimeoutMs: number, heartbeatTimeoutMs: number) =>
  new MockActivityEnvironment({
    scheduledTimestampMs: Date.now(),
    currentAttemptScheduledTimestampMs: Date.now(),
    scheduleToCloseTimeoutMs: 0,
    startToCloseTimeoutMs,
    heartbeatTimeoutMs,
  });

/** Runs an activity as the worker would: in an activity context, with its timeouts. */
export function inActivity<A, R>(
  context: MockActivityEnvironment,
  activity: (input: A) => Promise<R>,
  input: A,
): Promise<R> {
  return context.run(activity, input) as Promise<R>;
}

export const nowhere = 'http://127.0.0.1:1';
export const activitiesFor = (prometheusUrl: string) =>
  createGateActivities(new HttpRegionClient(), new PrometheusClient(prometheusUrl), new AlertmanagerClient(nowhere));
export const REGIONS = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8'];
export const refs = (names: string[]) => names.map((region) => ({ region, endpoint: nowhere }));
export const gate = (spec: Record<string, unknown>): GateSpec => gateSpecSchema.parse(spec);
