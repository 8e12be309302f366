import { familyOf, metricNamesIn } from './promql-names';

describe('metric names in PromQL', () => {
  it('finds the selected metrics, not functions, aggregations, labels, ranges or variables', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le, kind) (rate(sluice_push_duration_seconds_bucket{service=~"$service"}[$__rate_interval])))',
      ),
    ).toEqual(['sluice_push_duration_seconds_bucket']);
    expect(metricNamesIn('min by (dependency) (sluice_dependency_up{job="sluice-gateway"}) == 0')).toEqual([
      'sluice_dependency_up',
    ]);
    expect(metricNamesIn('up{job="sluice-gateway"} == 0 and on (instance) process_start_time_seconds > 1')).toEqual([
      'up',
      'process_start_time_seconds',
    ]);
  });

  it('maps a histogram’s series to its family', () => {
    const families = new Set(['sluice_push_duration_seconds', 'temporal_request_total']);
    expect(familyOf('sluice_push_duration_seconds_bucket', families)).toBe('sluice_push_duration_seconds');
    expect(familyOf('temporal_request_total', families)).toBe('temporal_request_total');
    expect(familyOf('nope_count', families)).toBe('nope_count');
  });
});
