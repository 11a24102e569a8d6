// The package's public message contracts, v1. Changing a schema here changes what users' flows
// may send and receive: add optional fields freely, but never remove or narrow one without a new version.
import { assetReadingsSchema, type AssetReadings } from './asset-readings';
import { inspectionRecordSchema, type InspectionRecord } from './inspection-record';
import { maintenanceEventSchema, type MaintenanceEvent } from './maintenance-event';
import { compileInputValidator } from './validate';
import { workOrderResultSchema, type WorkOrderResult } from './work-order-result';
import { workOrderStatusSchema, type WorkOrderStatus } from './work-order-status';

export * from './asset';
export * from './bounds';
export * from './asset-readings';
export * from './common';
export * from './inspection-record';
export * from './maintenance-event';
export * from './rejection';
export * from './validate';
export * from './work-order-result';
export * from './work-order-status';

export const validateAssetReadings = compileInputValidator<AssetReadings>(assetReadingsSchema);
export const validateInspectionRecord = compileInputValidator<InspectionRecord>(inspectionRecordSchema);
export const validateMaintenanceEvent = compileInputValidator<MaintenanceEvent>(maintenanceEventSchema);
export const validateWorkOrderResult = compileInputValidator<WorkOrderResult>(workOrderResultSchema);
export const validateWorkOrderStatus = compileInputValidator<WorkOrderStatus>(workOrderStatusSchema);
