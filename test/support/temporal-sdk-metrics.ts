/**
 * Temporal SDK worker metrics (metric families, as the SDK's Prometheus exporter names them with
 * Sluice's options) seen served by a real worker process after a rollout: the chaos spec
 * `sdk-metrics` checks each is there, and the dashboard spec lets the dashboard query only these.
 */
export const OBSERVED_SDK_METRICS = [
  'temporal_worker_task_slots_available',
  'temporal_worker_task_slots_used',
  'temporal_num_pollers',
  'temporal_sticky_cache_size',
  'temporal_request_total',
  'temporal_long_request_total',
  'temporal_request_latency_seconds',
  'temporal_workflow_task_schedule_to_start_latency_seconds',
  'temporal_workflow_task_execution_latency_seconds',
  'temporal_activity_schedule_to_start_latency_seconds',
  'temporal_activity_execution_latency_seconds',
] as const;
