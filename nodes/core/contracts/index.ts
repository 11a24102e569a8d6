// The package's public message contracts, v1. Changing a schema here changes what users' flows
// may send and receive: add optional fields freely, but never remove or narrow one without a new version.
import { assetReadingsSchema, type AssetReadings } from './asset-readings';
import { inspectionRecordSchema, type InspectionRecord } from './inspection-record';
import { maintenanceEventSchema, type MaintenanceEvent } from './maintenance-event';
import { compileValidator } from './validate';
import { workOrderResultSchema, type WorkOrderResult } from './work-order-result';
import { workOrderStatusSchema, type WorkOrderStatus } from './work-order-status';

export * from './asset';
export * from './asset-readings';
export * from './common';
export * from './inspection-record';
export * from './maintenance-event';
export * from './validate';
export * from './work-order-result';
export * from './work-order-status';

export const validateAssetReadings = compileValidator<AssetReadings>(assetReadingsSchema);
export const validateInspectionRecord = compileValidator<InspectionRecord>(inspectionRecordSchema);
export const validateMaintenanceEvent = compileValidator<MaintenanceEvent>(maintenanceEventSchema);
export const validateWorkOrderResult = compileValidator<WorkOrderResult>(workOrderResultSchema);
export const validateWorkOrderStatus = compileValidator<WorkOrderStatus>(workOrderStatusSchema);
