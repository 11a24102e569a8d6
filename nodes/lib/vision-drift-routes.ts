// mw-vision-drift's admin route: what a setting costs before it is deployed. Kept out of the node
// adapter so that it stays Node-RED wiring only; the figures come from the same core code
// (nodes/core/spc) a deploy runs.
import type { Request, Response } from 'express';
import { cusumArl, designFor, lineSlots, parseDriftSettings, type RateMeter } from '../core/spc';
import { sendAdminError } from './admin-error';
import type { NodeAPI } from './red';

/** Each deployed node's measured line rates, for the editor's conversion of days into units. */
export const meters = new Map<string, RateMeter>();

export function registerDesignRoute(RED: NodeAPI): void {
  // The editor shows what a setting costs before it is deployed: the budget in units, and the
  // parts it takes to detect a mean shift that arises mid-run (zero-state, no FIR head start:
  // the head start only helps right after a baseline).
  // The days → units conversion uses the rate the deployed node measured on its lines (the
  // fastest one) when it has one and the editor did not ask for the typed rate (`rate=typed`).
  RED.httpAdmin.get('/mw-vision-drift/design', RED.auth.needsPermission('mw-vision-drift.read'), (req: Request, res: Response) => {
    const q = req.query;
    const measured = typeof q.node === 'string' && q.rate !== 'typed' ? meters.get(q.node)?.fastest() ?? null : null;
    const parsed = parseDriftSettings({
      falseAlarmDays: q.falseAlarmDays, unitsPerHour: measured ? Number(measured.unitsPerHour.toPrecision(4)) : q.unitsPerHour, arl0: q.arl0,
      lambda: q.lambda, cusumK: q.k, largeShiftK: q.largeShiftK, fir: q.fir !== 'false',
      // The defect subgroup is checked against the budget only when the editor sends it.
      defectSubgroupUnits: q.defectSubgroupUnits, defectSubgroup: q.defectSubgroupUnits ? 'units' : 'batch',
    });
    const characteristics = Number(q.characteristics ?? 1);
    if (!parsed.ok || !Number.isInteger(characteristics) || characteristics < 0 || characteristics > 1000) {
      const errors = parsed.ok ? ['characteristics: a whole number from 0 to 1000'] : parsed.errors;
      sendAdminError(res, 400, 'bad-request', errors.join('; '), errors);
      return;
    }
    const s = parsed.value;
    const slots = lineSlots(characteristics);
    const d = designFor(s, slots, q.multiPoint === 'true');
    res.json({
      arl0: s.arl0, falseAlarmDays: s.falseAlarmDays, unitsPerHour: s.unitsPerHour, slots,
      rateSource: measured ? 'measured' : 'typed', measuredLines: measured ? measured.lines : 0,
      h: d.cusumH, hLarge: d.cusumLargeH, k: s.cusumK, kLarge: s.largeShiftK, cusumArl0: d.arl0.cusum, cusumLargeArl0: d.arl0.cusumLarge,
      arl: [0.5, 1, 2, 3].map((shift) => {
        const cusum = cusumArl({ k: s.cusumK, h: d.cusumH, fir: false }, shift, 80);
        const cusumLarge = cusumArl({ k: s.largeShiftK, h: d.cusumLargeH, fir: false }, shift, 80);
        return { shift, cusum, cusumLarge, fastest: Math.min(cusum, cusumLarge) };
      }),
    });
  });
}
