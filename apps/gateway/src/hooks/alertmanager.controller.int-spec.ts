import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import express from 'express';
import { Pool } from 'pg';
import { Registry } from 'prom-client';
import { freePort } from '../../../../libs/platform/src/free-port';
import { createLogger } from '../../../../libs/platform/src/logger';
import { SerialTask } from '../../../../libs/platform/src/serial-task';
import { PgServiceCatalog } from '../../../../libs/service-catalog/src';
import { testServices } from '../../../../test/support/test-env';
import { hashToken } from '../auth/principal';
import { TokenRegistry } from '../auth/token-registry';
import { DEFAULT_ALERT_LABELS } from './alertmanager-payload';
import { AlertmanagerController } from './alertmanager.controller';
import { HaltDelivery } from './halt-delivery';
import { HaltIntake } from './halt-intake';
import { HaltRequestRepository } from './halt-request.repository';
import { IncidentDecisionRepository } from './incident-decision.repository';

/** The webhook while PostgreSQL is down: a pool pointed at a port nothing listens on. */
describe('the Alertmanager webhook while PostgreSQL is down', () => {
  const token = 'monitor-token';
  let connection: Connection;
  let pool: Pool;
  let metrics: Registry;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    connection = await Connection.connect({ address: testServices().temporalAddress });
    pool = new Pool({ connectionString: `postgres://sluice@127.0.0.1:${await freePort()}/sluice` });
    metrics = new Registry();
    const requests = new HaltRequestRepository(pool);
    const delivery = new HaltDelivery(requests, new Client({ connection }), metrics);
    const controller = new AlertmanagerController(
      new TokenRegistry([{ principal: 'alertmanager', roles: ['monitor'], sha256: hashToken(token) }]),
      new HaltIntake(DEFAULT_ALERT_LABELS, 'exact'),
      requests,
      delivery,
      new SerialTask('halt delivery', () => delivery.deliverPending(), createLogger('gateway')),
      new PgServiceCatalog(pool),
      new IncidentDecisionRepository(pool),
      metrics,
    );
    const app = express();
    app.post('/hooks/alertmanager', express.json(), (req, res) => controller.receive(req, req.body, res));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/alertmanager`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await pool.end();
    await connection.close();
  });

  const alert = (status: 'firing' | 'resolved', service: string) => ({
    status,
    labels: { alertname: 'HighErrorRate', service, region: 'eu-west' },
    annotations: {},
    startsAt: '2026-12-03T10:00:00Z',
    endsAt: status === 'resolved' ? '2026-12-03T10:05:00Z' : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus/graph',
    fingerprint: `fp-${service}-${status}`,
  });
  const post = (alerts: ReturnType<typeof alert>[]) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ version: '4', status: alerts[0].status, alerts }),
    });
  const deliveries = async () =>
    (await metrics.getSingleMetric('sluice_alert_deliveries_total')!.get()).values.reduce((n, v) => n + v.value, 0);

  it('still halts a firing alert straight through Temporal, and answers 200', async () => {
    const before = await deliveries();
    const answer = await post([alert('firing', 'pgdown-firing')]);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ queued: 0, delivered: [{ outcome: 'NO_RUNNING_ROLLOUT' }] });
    expect(await deliveries()).toBe(before + 1);
  });

  it('answers 503 SERVICE_UNAVAILABLE to a resolved alert it cannot record, so Alertmanager sends it again', async () => {
    const answer = await post([alert('resolved', 'pgdown-resolved')]);
    expect(answer.status).toBe(503);
    expect(await answer.json()).toEqual({
      error: {
        code: 'SERVICE_UNAVAILABLE',
        message: expect.stringMatching(/resolved/),
        dependency: 'PostgreSQL',
      },
    });
  });

  it('delivers the firing alerts of a mixed notification, and still answers 503 for its resolved one', async () => {
    const before = await deliveries();
    const answer = await post([alert('firing', 'pgdown-mixed'), alert('resolved', 'pgdown-mixed-other')]);
    expect(answer.status).toBe(503);
    expect((await answer.json()).error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', dependency: 'PostgreSQL' });
    expect(await deliveries()).toBe(before + 1);
  });
});
