/** Scrapes and probes: many a minute, each alike, none part of a rollout's story (not traced, logged at debug). */
const SCRAPE_AND_PROBE_PATHS = new Set(['/metrics', '/healthz']);

export function isScrapeOrProbe(url: string | undefined): boolean {
  return SCRAPE_AND_PROBE_PATHS.has((url ?? '').split('?')[0]);
}
