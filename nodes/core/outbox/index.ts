// The durable outbox engine behind mw-work-order: see outbox.ts.
export { Outbox } from './outbox';
export type { OutboxAdmin, Page } from './admin';
export { backoffDelay, retryDelay, describeFailure, decide, scrubSecrets, type BackoffPolicy, type Failure, type Decision } from './classify';
export { percentile } from './metrics';
export * from './types';
export type { WorkOrderLinks } from './work-order-links';
export type { AuditFilter, RecentWorkOrder } from './recent';
export { KPI_GROUPINGS, type KpiGrouping, type LoopKpis, type LoopKpiOptions, type GroupKpis } from './loop-kpis';
