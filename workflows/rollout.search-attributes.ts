import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Typed search attributes that make rollouts findable in the Temporal Web UI and list API. */
export const SluiceService = defineSearchAttributeKey('SluiceService', SearchAttributeType.KEYWORD);
export const SluiceStatus = defineSearchAttributeKey('SluiceStatus', SearchAttributeType.KEYWORD);
export const SluiceWave = defineSearchAttributeKey('SluiceWave', SearchAttributeType.INT);
export const SluiceRegions = defineSearchAttributeKey('SluiceRegions', SearchAttributeType.KEYWORD_LIST);
export const SluiceVersion = defineSearchAttributeKey('SluiceVersion', SearchAttributeType.KEYWORD);
export const SluiceRolloutId = defineSearchAttributeKey('SluiceRolloutId', SearchAttributeType.KEYWORD);

export const SLUICE_SEARCH_ATTRIBUTES = [
  SluiceService,
  SluiceStatus,
  SluiceWave,
  SluiceRegions,
  SluiceVersion,
  SluiceRolloutId,
];
