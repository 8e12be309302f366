import { SluiceError } from '../../../../libs/domain/src';

/** Opaque page cursors: base64url JSON, checked for shape when they come back. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, check: (v: unknown) => v is T): T {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (check(value)) return value;
  } catch {
    // fall through
  }
  const message = 'after is not a cursor this API returned; pass pageInfo.endCursor or an event’s cursor';
  throw SluiceError.badInput(message, [{ field: 'after', message }]);
}

const isEventCursor = (v: unknown): v is { p: number } =>
  typeof v === 'object' && v !== null && Number.isInteger((v as { p: unknown }).p) && (v as { p: number }).p >= 0;

/** The cursor of the event at `position` in its rollout's stream: "after this event". */
export const eventCursor = (position: number): string => encodeCursor({ p: position });

/** The stream position an event cursor stands for (0 with none: from the start). */
export const positionOf = (cursor: string | undefined | null): number =>
  cursor ? decodeCursor(cursor, isEventCursor).p : 0;
