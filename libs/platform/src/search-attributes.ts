import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';
import { temporal } from '@temporalio/proto';

const INDEXED: Partial<Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType>> = {
  [SearchAttributeType.KEYWORD]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.KEYWORD_LIST]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/**
 * Registers search attributes (Sluice's: `SLUICE_SEARCH_ATTRIBUTES` from `workflows/`) on a
 * Temporal server that does not have them yet (the time-skipping test server, or a
 * self-hosted cluster). The dev server gets them at start.
 */
export async function registerSearchAttributes(
  connection: Connection,
  namespace: string,
  keys: readonly SearchAttributeKey<SearchAttributeType>[],
): Promise<void> {
  const searchAttributes: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const key of keys) {
    const indexed = INDEXED[key.type];
    if (indexed === undefined) throw new Error(`no indexed type for search attribute ${key.name} (${key.type})`);
    searchAttributes[key.name] = indexed;
  }
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
}
