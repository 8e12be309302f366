import { z } from 'zod';
import { ErrorCode, SluiceError } from '../../domain/src';
import { configHash } from './config-hash';

/**
 * What a region must answer (docs/REGION-CONTRACT.md). Every answer is checked before Sluice
 * acts on it: a body outside the contract is a REGION_PROTOCOL error, never guessed at. Above
 * all, a version without its config is refused; read as "no config", it made a restore a DELETE.
 */
const revisionSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const stateSchema = z.object({
  region: z.string().optional(),
  version: z.string().min(1).nullable(),
  config: z.record(z.string(), z.unknown()).nullable(),
  configHash: z.string().nullable().optional(),
  revision: revisionSchema.optional(),
});

const pushAnswerSchema = stateSchema.extend({
  previousVersion: z.string().nullable(),
  changed: z.boolean(),
});

/** What a region serves now, as Sluice checked it. `version` is null for a region with no config. */
export interface RegionConfigState {
  /** The region's own name for itself, else the endpoint asked. */
  region: string;
  version: string | null;
  config: Record<string, unknown> | null;
  /** SHA-256 of the config's RFC 8785 canonical JSON, computed by Sluice; null without a config. */
  configHash: string | null;
  /** Goes up on every accepted write; a write conditioned on it (If-Match) is fenced by any later one. */
  revision: number;
}

export interface PushResult extends RegionConfigState {
  previousVersion: string | null;
  /** False when the region already held this version with this config. */
  changed: boolean;
}

function protocolError(url: string, problem: string): SluiceError {
  return new SluiceError(
    ErrorCode.RegionProtocol,
    `${url} answered outside the region contract (docs/REGION-CONTRACT.md): ${problem}`,
    { url },
  );
}

function parseJson(url: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return protocolError(url, `the body is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
  }
}

/** The revision from the body, else from a strong or weak ETag holding a number. */
function revisionOf(body: number | undefined, etag: string | null): number | undefined {
  if (body !== undefined) return body;
  const match = etag === null ? null : /^(?:W\/)?"(\d{1,15})"$/.exec(etag.trim());
  return match ? Number(match[1]) : undefined;
}

function checkedState(
  url: string,
  endpoint: string,
  data: z.infer<typeof stateSchema>,
  etag: string | null,
): RegionConfigState {
  if ((data.version === null) !== (data.config === null)) {
    throw protocolError(
      url,
      data.version === null
        ? 'a config without a version'
        : `version ${data.version} without its config (a region with no config answers version null)`,
    );
  }
  const hash = data.config === null ? null : configHash(data.config);
  if (data.configHash !== undefined && data.configHash !== hash) {
    throw protocolError(
      url,
      `configHash ${data.configHash} is not the SHA-256 of the config's canonical JSON (${hash})`,
    );
  }
  const revision = revisionOf(data.revision, etag);
  if (revision === undefined) throw protocolError(url, 'no revision (a `revision` field or an ETag of one)');
  return { region: data.region ?? endpoint, version: data.version, config: data.config, configHash: hash, revision };
}

function validated<T extends z.ZodTypeAny>(url: string, schema: T, text: string): z.infer<T> {
  const body = parseJson(url, text);
  if (body instanceof SluiceError) throw body;
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw protocolError(url, `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return parsed.data;
}

/** A GET or DELETE answer. */
export function parseRegionState(url: string, endpoint: string, text: string, etag: string | null): RegionConfigState {
  return checkedState(url, endpoint, validated(url, stateSchema, text), etag);
}

/** A PUT answer: the new state, what it replaced, and whether it changed anything. */
export function parsePushAnswer(url: string, endpoint: string, text: string, etag: string | null): PushResult {
  const data = validated(url, pushAnswerSchema, text);
  return { ...checkedState(url, endpoint, data, etag), previousVersion: data.previousVersion, changed: data.changed };
}
