// Default asset master data: three sites in two organisations, a mix of statuses, and a few
// traps a mapping verifier must catch — PUMP-101 vs PUMP-1O1 (letter O), PUMP-101 at two sites,
// HX-601 vs HX-601A, and decommissioned assets that still look valid.
import crypto from 'node:crypto';

import type { AssetStatus, SimAsset } from './types';

type Row = [assetnum: string, siteid: string, path: string, description: string, status: AssetStatus, assetClass: string];

const ORGS: Record<string, string> = { BEDFORD: 'EAGLENA', NASHUA: 'EAGLENA', LAREDO: 'EAGLETX' };

const ROWS: Row[] = [
  ['PUMP-101', 'BEDFORD', 'AREA1/LINE2', 'Centrifugal pump, cooling water loop', 'OPERATING', 'PUMP'],
  ['PUMP-1O1', 'BEDFORD', 'AREA1/LINE2', 'Centrifugal pump (old tag, replaced by PUMP-101)', 'DECOMMISSIONED', 'PUMP'],
  ['PUMP-102', 'BEDFORD', 'AREA1/LINE2', 'Centrifugal pump, cooling water standby', 'OPERATING', 'PUMP'],
  ['PUMP-110', 'BEDFORD', 'AREA1/LINE3', 'Dosing pump, being commissioned', 'NOT READY', 'PUMP'],
  ['MTR-201', 'BEDFORD', 'AREA1/LINE2', 'Motor 75 kW driving PUMP-101', 'OPERATING', 'MOTOR'],
  ['MTR-202', 'BEDFORD', 'AREA1/LINE2', 'Motor 75 kW driving PUMP-102', 'OPERATING', 'MOTOR'],
  ['CONV-301', 'BEDFORD', 'AREA2/LINE1', 'Belt conveyor infeed', 'OPERATING', 'CONVEYOR'],
  ['CONV-302', 'BEDFORD', 'AREA2/LINE1', 'Belt conveyor outfeed', 'OPERATING', 'CONVEYOR'],
  ['CMP-401', 'BEDFORD', 'AREA2/UTIL', 'Screw air compressor', 'OPERATING', 'COMPRESSOR'],
  ['HX-601', 'BEDFORD', 'AREA2/UTIL', 'Plate heat exchanger', 'OPERATING', 'HEATEXCH'],
  ['HX-601A', 'BEDFORD', 'AREA2/UTIL', 'Plate heat exchanger (spare)', 'NOT READY', 'HEATEXCH'],
  ['PRS-701', 'BEDFORD', 'AREA2/LINE1', 'Hydraulic press', 'OPERATING', 'PRESS'],
  ['CAM-901', 'BEDFORD', 'AREA2/LINE1', 'Vision inspection station, press outfeed', 'OPERATING', 'VISION'],
  ['PUMP-101', 'NASHUA', 'AREA1/LINE1', 'Centrifugal pump, process water', 'OPERATING', 'PUMP'],
  ['PUMP-201', 'NASHUA', 'AREA1/LINE1', 'Centrifugal pump, chilled water', 'OPERATING', 'PUMP'],
  ['MTR-301', 'NASHUA', 'AREA1/LINE1', 'Motor 30 kW driving PUMP-201', 'OPERATING', 'MOTOR'],
  ['CONV-101', 'NASHUA', 'AREA2/LINE1', 'Roller conveyor', 'OPERATING', 'CONVEYOR'],
  ['CMP-101', 'NASHUA', 'AREA3/UTIL', 'Reciprocating air compressor', 'DECOMMISSIONED', 'COMPRESSOR'],
  ['BLR-101', 'NASHUA', 'AREA3/UTIL', 'Steam boiler', 'OPERATING', 'BOILER'],
  ['CHL-101', 'NASHUA', 'AREA3/UTIL', 'Chiller, awaiting refrigerant', 'NOT READY', 'CHILLER'],
  ['FAN-501', 'NASHUA', 'AREA2/LINE1', 'Exhaust fan', 'OPERATING', 'FAN'],
  ['CAM-911', 'NASHUA', 'AREA2/LINE1', 'Vision inspection station, label check', 'OPERATING', 'VISION'],
  ['PUMP-301', 'LAREDO', 'AREA1/LINE1', 'Slurry pump', 'OPERATING', 'PUMP'],
  ['PUMP-302', 'LAREDO', 'AREA1/LINE1', 'Slurry pump (scrapped)', 'DECOMMISSIONED', 'PUMP'],
  ['MTR-401', 'LAREDO', 'AREA1/LINE1', 'Motor 110 kW driving PUMP-301', 'OPERATING', 'MOTOR'],
  ['CONV-501', 'LAREDO', 'AREA2/LINE1', 'Screw conveyor', 'OPERATING', 'CONVEYOR'],
  ['GBX-601', 'LAREDO', 'AREA2/LINE1', 'Gearbox for CONV-501', 'OPERATING', 'GEARBOX'],
  ['EXT-701', 'LAREDO', 'AREA2/LINE2', 'Single-screw extruder', 'OPERATING', 'EXTRUDER'],
  ['MIX-801', 'LAREDO', 'AREA2/LINE2', 'Batch mixer', 'OPERATING', 'MIXER'],
  ['TNK-901', 'LAREDO', 'AREA3/TANKS', 'Storage tank, inspection due', 'NOT READY', 'TANK'],
];

export const DEFAULT_ASSETS: readonly SimAsset[] = Object.freeze(ROWS.map(([assetnum, siteid, path, description, status, assetClass]) => ({
  assetnum,
  siteid,
  orgid: ORGS[siteid],
  location: `${siteid}/${path}/${assetnum}`,
  description,
  status,
  assetClass,
})));

/** A stable ServiceNow-style sys_id for an asset, independent of the seed. */
export function assetSysId(a: SimAsset): string {
  return crypto.createHash('md5').update(`cmdb_ci:${a.siteid}/${a.assetnum}`).digest('hex');
}

/** MaintainX numeric asset ids follow the master-data order. */
export function assetNumericId(index: number): number {
  return 5000 + index;
}

const STATUSES: readonly AssetStatus[] = ['OPERATING', 'NOT READY', 'DECOMMISSIONED'];

/**
 * The control API's new asset: at a known site (its organisation follows), a new asset number there,
 * a location under SITE/…; returns the problem, or null once added.
 */
export function addAsset(list: SimAsset[], body: unknown): string | null {
  const b = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  const text = (k: string): string => (typeof b[k] === 'string' ? (b[k] as string).trim() : '');
  const assetnum = text('assetnum');
  const siteid = text('siteid');
  if (!assetnum || !siteid) return 'body must be {assetnum, siteid, location?, description?, status?, assetClass?}';
  if (!ORGS[siteid]) return `unknown site ${siteid}: one of ${Object.keys(ORGS).join(', ')}`;
  if (list.some((a) => a.assetnum === assetnum && a.siteid === siteid)) return `asset ${assetnum} already exists at ${siteid}`;
  const location = text('location') || `${siteid}/${assetnum}`;
  if (!location.startsWith(`${siteid}/`)) return `location must start with ${siteid}/`;
  const status = (text('status') || 'OPERATING') as AssetStatus;
  if (!STATUSES.includes(status)) return `status must be one of ${STATUSES.join(', ')}`;
  list.push({ assetnum, siteid, orgid: ORGS[siteid], location, description: text('description') || assetnum, status, assetClass: text('assetClass') || undefined });
  return null;
}
