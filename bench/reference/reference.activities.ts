/** The bare workflow's activity: no work at all, so only orchestration is measured. */
export const referenceActivities = {
  async noop(): Promise<void> {},
};
export type ReferenceActivities = typeof referenceActivities;
