import { isSluiceError } from '../../domain/src';
import { configHash } from './config-hash';
import { HttpRegionClient, type RegionClient } from './region-client';
import type { RegionConfigState } from './region-contract';

/** One check of `npm run conformance`: what was asked of the endpoint, and what it did. */
export interface ConformanceCheck {
  name: string;
  ok: boolean;
  detail: string;
}

const describeError = (err: unknown) =>
  isSluiceError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);

/**
 * Checks a team's own endpoint against the http region contract (docs/REGION-CONTRACT.md) the
 * way Sluice uses it: read, a conditional push, read-back, a no-op re-push, a stale write that
 * must be refused (412), health, and then the endpoint's original state put back, whatever
 * failed before. Run it against a test region: it writes a version of its own for a moment.
 */
export async function runHttpConformance(
  endpoint: string,
  onCheck: (check: ConformanceCheck) => void = () => undefined,
  client: RegionClient = new HttpRegionClient(),
): Promise<ConformanceCheck[]> {
  const checks: ConformanceCheck[] = [];
  const record = (name: string, ok: boolean, detail: string) => {
    const check = { name, ok, detail };
    checks.push(check);
    onCheck(check);
    return ok;
  };
  const attempt = async (name: string, work: () => Promise<string>): Promise<boolean> => {
    try {
      return record(name, true, await work());
    } catch (err) {
      return record(name, false, describeError(err));
    }
  };

  let original: RegionConfigState | undefined;
  const readOk = await attempt('GET /config answers the region state', async () => {
    original = await client.read(endpoint);
    return original.version === null
      ? `no config, revision ${original.revision}`
      : `version ${original.version}, revision ${original.revision}`;
  });
  if (!readOk || !original) return checks;
  const before = original;

  const version = `sluice-conformance-${Date.now()}`;
  const config = { sluiceConformance: version, nested: { b: 2, a: 1 } };
  let pushedRevision: number | undefined;
  await attempt('PUT /config with If-Match applies a new version', async () => {
    const pushed = await client.push(endpoint, version, config, before.revision);
    if (!pushed.changed) throw new Error('answered changed: false for a version it never had');
    if (!(pushed.revision > before.revision)) {
      throw new Error(`the revision did not go up (${before.revision} → ${pushed.revision})`);
    }
    pushedRevision = pushed.revision;
    return `revision ${before.revision} → ${pushed.revision}`;
  });
  try {
    await attempt('GET /config reads the pushed version back, with its config hash', async () => {
      const read = await client.read(endpoint);
      if (read.version !== version || read.configHash !== configHash(config)) {
        throw new Error(`serves ${read.version ?? 'nothing'} (${read.configHash ?? 'no hash'})`);
      }
      return `version ${version}, hash ${read.configHash}`;
    });
    await attempt('PUT of the same version and config changes nothing', async () => {
      const again = await client.push(endpoint, version, config, pushedRevision);
      if (again.changed) throw new Error('answered changed: true');
      return `changed: false, revision ${again.revision}`;
    });
    await attempt('PUT with a stale If-Match is refused with 412 and changes nothing', async () => {
      const result = await client.push(endpoint, `${version}-stale`, { stale: true }, before.revision).then(
        () => 'accepted',
        (err: unknown) => err,
      );
      if (result === 'accepted') throw new Error(`accepted a write conditioned on revision ${before.revision}`);
      if (!isSluiceError(result) || result.code !== 'REGION_CHANGED') throw result;
      const read = await client.read(endpoint);
      if (read.version !== version) throw new Error(`the refused write changed the region to ${read.version}`);
      return '412, still serving the pushed version';
    });
    await attempt('GET /health answers 2xx', async () => {
      const health = await client.health(endpoint);
      if (!health.healthy) throw new Error(`answered ${health.status}`);
      return `answered ${health.status}`;
    });
  } finally {
    await attempt('the original state is put back', async () => {
      const now = await client.read(endpoint);
      if (before.version === null) {
        await client.clear(endpoint, now.revision);
      } else {
        await client.push(endpoint, before.version, before.config ?? {}, now.revision);
      }
      const after = await client.read(endpoint);
      if (after.version !== before.version || after.configHash !== before.configHash) {
        throw new Error(`serves ${after.version ?? 'nothing'} instead of ${before.version ?? 'nothing'}`);
      }
      return before.version === null ? 'no config again' : `version ${before.version} again`;
    });
  }
  return checks;
}
