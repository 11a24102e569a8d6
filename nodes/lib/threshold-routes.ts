// mw-threshold's admin routes (the editor's rule schema, "check rules" and "preview"): kept out of
// the node adapter so that it stays Node-RED wiring only. Every route answers through the same core
// code a deploy runs (nodes/core/alarms), so the editor shows what a deploy would do.
import type { Request, Response } from 'express';
import { loadRules, loadRulesFile, parseSeries, previewSeries, RULE_SCHEMA, type LoadedRules } from '../core/alarms';
import { sendAdminError } from './admin-error';
import { fileAccess } from './files';
import type { NodeAPI } from './red';

/** The editor's "check rules" button: the same checks as a deploy, without deploying. */
function checkRoute(RED: NodeAPI) {
  return (req: Request, res: Response): void => {
    const body = (req.body ?? {}) as { rules?: unknown; rulesFile?: unknown };
    if (['rules', 'rulesFile'].some((k) => body[k as keyof typeof body] !== undefined && typeof body[k as keyof typeof body] !== 'string')) {
      sendAdminError(res, 400, 'bad-request', 'send {"rules": "<the rule set as JSON text>", "rulesFile": "<a file in the user directory>"}');
      return;
    }
    const rules = typeof body.rules === 'string' ? body.rules : '';
    const file = typeof body.rulesFile === 'string' ? body.rulesFile.trim() : '';
    // The file is read asynchronously (a slow disk never stops the runtime) and confined to the user
    // directory, then parsed by the same code a deploy uses.
    loadRulesFile(rules, file, fileAccess(RED)).then(
      (loaded) => answer(res, loaded),
      () => sendAdminError(res, 500, 'internal', RED._('mw-threshold.check.file-unreadable')),
    );
  };
}

function answer(res: Response, loaded: LoadedRules): void {
  if (!loaded.ok) {
    res.json({ ok: false, errors: loaded.errors });
    return;
  }
  const classes = Object.keys(loaded.set.classes ?? {});
  const count = classes.reduce((n, c) => n + (loaded.set.classes?.[c]?.length ?? 0), 0);
  res.json({ ok: true, errors: [], warnings: loaded.chatterRisks, counts: { classes: classes.length, rules: count, assets: Object.keys(loaded.set.assets ?? {}).length } });
}

const text = (v: unknown, max: number): string => (typeof v === 'string' ? v.trim().slice(0, max) : '');

/**
 * The editor's "preview": the editor's rules (not the file: that needs write permission to read)
 * and a pasted series, played through the real engine on a simulated clock. It changes nothing, but
 * it is a POST that makes the runtime compute on posted input, so it needs write like every POST.
 */
function previewRoute(req: Request, res: Response): void {
  const body = (req.body ?? {}) as { rules?: unknown; asset?: { id?: unknown; siteId?: unknown; class?: unknown }; metric?: unknown; series?: unknown; stepSeconds?: unknown; tailSeconds?: unknown };
  const asset = { id: text(body.asset?.id, 200) || 'ASSET', siteId: text(body.asset?.siteId, 200) || 'SITE', class: text(body.asset?.class, 200) || undefined };
  const metric = text(body.metric, 200);
  const errors: string[] = [];
  if (metric === '') errors.push('metric: give the metric the series is of');
  const step = Number(body.stepSeconds ?? 1);
  const tail = Number(body.tailSeconds ?? 0);
  if (!(step > 0 && step <= 86_400)) errors.push('stepSeconds: 0 < step ≤ 86400');
  if (!(tail >= 0 && tail <= 86_400)) errors.push('tailSeconds: 0 to 86400');
  const series = parseSeries(typeof body.series === 'string' ? body.series.slice(0, 500_000) : '', step);
  if (!series.ok) errors.push(...series.errors.map((e) => `series ${e}`));
  const loaded = loadRules(typeof body.rules === 'string' ? body.rules : '', '', undefined);
  if (!loaded.ok) errors.push(...loaded.errors);
  if (errors.length > 0 || !series.ok || !loaded.ok) {
    sendAdminError(res, 400, 'bad-request', errors.join('; '), errors);
    return;
  }
  const events = previewSeries(loaded.book, asset, metric, series.points, tail);
  res.json({ ok: true, errors: [], points: series.points, events });
}

export function registerThresholdRoutes(RED: NodeAPI): void {
  // The rule table in the editor checks each field as typed against the runtime's own schema.
  RED.httpAdmin.get('/mw-threshold/rule-schema', RED.auth.needsPermission('mw-threshold.read'), (_req: Request, res: Response) => { res.json(RULE_SCHEMA); });
  RED.httpAdmin.post('/mw-threshold/preview', RED.auth.needsPermission('mw-threshold.write'), previewRoute);
  // Write permission: checking reads a file on the server (issue 12: a reader could read any file).
  RED.httpAdmin.post('/mw-threshold/check', RED.auth.needsPermission('mw-threshold.write'), checkRoute(RED));
}
