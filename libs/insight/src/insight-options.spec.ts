import { DEFAULT_INSIGHT, loadInsightOptions } from './insight-options';

describe('loadInsightOptions: the per-customer queries', () => {
  const query = 'sum by (region, customer) (increase(http_requests_total{service="{{service}}"}[{{range}}]))';

  it('are off by default', () => {
    const options = loadInsightOptions({});
    expect([options.customerRequestsQuery, options.customerErrorsQuery]).toEqual(['', '']);
    expect(options.requestsQuery).toBe(DEFAULT_INSIGHT.requestsQuery);
  });

  it('are read together', () => {
    const options = loadInsightOptions({
      SLUICE_INSIGHT_CUSTOMER_REQUESTS_QUERY: query,
      SLUICE_INSIGHT_CUSTOMER_ERRORS_QUERY: query,
    });
    expect(options.customerErrorsQuery).toBe(query);
  });

  it('stop the start-up when only one is set, or with a template variable other than service and range', () => {
    expect(() => loadInsightOptions({ SLUICE_INSIGHT_CUSTOMER_REQUESTS_QUERY: query })).toThrow(
      /SLUICE_INSIGHT_CUSTOMER_REQUESTS_QUERY and SLUICE_INSIGHT_CUSTOMER_ERRORS_QUERY: set both, or neither/,
    );
    expect(() =>
      loadInsightOptions({
        SLUICE_INSIGHT_CUSTOMER_REQUESTS_QUERY: 'x{customer="{{customer}}"}',
        SLUICE_INSIGHT_CUSTOMER_ERRORS_QUERY: query,
      }),
    ).toThrow(/SLUICE_INSIGHT_CUSTOMER_REQUESTS_QUERY: unknown template variable \{\{customer\}\}/);
  });
});
