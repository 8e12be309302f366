import { Connection } from '@temporalio/client';
import { portInUse } from '../../libs/platform/src/free-port';
import { StartupError } from '../../libs/platform/src/startup-error';

/** A port `npm start` will listen on, what it is for, and the variable that moves it. */
export interface PlannedPort {
  port: number;
  what: string;
  variable: string;
}

async function isTemporal(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 2_000 });
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

/**
 * Every port checked before anything starts, so a busy one costs nothing to clean up. The
 * error names each busy port and the variable that moves it; a Temporal server already on
 * the gRPC port is named as such, with the way to use it.
 */
export async function checkPorts(ports: PlannedPort[], temporalPort?: number): Promise<void> {
  const busy: string[] = [];
  let temporalRunning = false;
  for (const planned of ports) {
    if (!(await portInUse(planned.port))) continue;
    if (planned.port === temporalPort && (await isTemporal(`127.0.0.1:${planned.port}`))) {
      temporalRunning = true;
      busy.push(
        `a Temporal server already runs on 127.0.0.1:${planned.port}: use it with TEMPORAL_ADDRESS=127.0.0.1:${planned.port}, stop it, or set ${planned.variable}`,
      );
      continue;
    }
    busy.push(
      `port ${planned.port} (${planned.what}) is in use: set ${planned.variable} to a free port, or stop what holds it`,
    );
  }
  if (busy.length === 0) return;
  throw new StartupError(
    temporalRunning && busy.length === 1 ? 'TEMPORAL_ALREADY_RUNNING' : 'PORT_IN_USE',
    busy.join('; '),
  );
}
