// Verification of the map against the CMMS's asset master: every target (asset id + site + location)
// is marked ok, missing, at the wrong site or location, inactive or decommissioned, and the ones that
// are not ok get suggestions (the same id at another site, near-identical ids such as PUMP-1O1 for
// PUMP-101, an active asset next to a decommissioned one).
import type { CmmsAsset, Page } from '../cmms/types';
import { Slicer } from './slicer';
import type { Suggestion, Target, TargetCheck, VerificationStatus } from './types';

/** A CMMS that answers more pages than this is taken to be looping. */
const MAX_PAGES = 20_000;
const MAX_ASSETS = 2_000_000;
const MAX_SUGGESTIONS = 5;

export interface AssetLister {
  listAssets(cursor?: string | null): Promise<Page<CmmsAsset>>;
}

/** Every asset the CMMS lists, page by page; refuses a cursor it has already followed. */
export async function fetchAssets(client: AssetLister, opts: { signal?: AbortSignal; onPage?: (pages: number, assets: number) => void } = {}): Promise<CmmsAsset[]> {
  const assets: CmmsAsset[] = [];
  const seen = new Set<string>();
  let cursor: string | null = null;
  for (let pages = 1; ; pages++) {
    if (opts.signal?.aborted) throw new Error('verification stopped');
    const page: Page<CmmsAsset> = await client.listAssets(cursor);
    for (const a of page.items) assets.push(a);
    opts.onPage?.(pages, assets.length);
    if (page.next === null || page.items.length === 0) return assets;
    if (seen.has(page.next)) throw new Error(`the CMMS sent the same next-page link twice (${page.next}); stopped after ${pages} pages`);
    if (pages >= MAX_PAGES || assets.length >= MAX_ASSETS) throw new Error(`the CMMS listed more than ${pages} pages / ${assets.length} assets; stopped`);
    seen.add(page.next);
    cursor = page.next;
  }
}

/** Characters people and OCR confuse in asset tags, and separators that vary between systems. */
export function skeleton(id: string): string {
  return id.toUpperCase().replace(/[\s\-_./]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

/** Damerau–Levenshtein distance, stopping early once it exceeds `limit`. */
export function editDistance(a: string, b: string, limit = 1): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push(new Array<number>(b.length + 1).fill(0));
    rows[i][0] = i;
  }
  for (let j = 0; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    let best = Infinity;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, rows[i - 2][j - 2] + 1);
      rows[i][j] = v;
      best = Math.min(best, v);
    }
    if (best > limit) return limit + 1;
  }
  return rows[a.length][b.length];
}

function deletions(s: string): string[] {
  const out = [s];
  for (let i = 0; i < s.length; i++) out.push(s.slice(0, i) + s.slice(i + 1));
  return out;
}

/** The asset numbers people use for an asset: the API id, and the tag when the id is internal. */
function namesOf(a: CmmsAsset): string[] {
  return a.tag && a.tag !== a.id ? [a.id, a.tag] : [a.id];
}

function normLocation(loc: string, assetId: string): string {
  let s = loc.trim().replace(/^\/+|\/+$/g, '').toUpperCase();
  const tail = `/${assetId.toUpperCase()}`;
  if (s.endsWith(tail)) s = s.slice(0, -tail.length);
  return s;
}

/** A location the CMMS keeps as a path can be compared; a bare code (BR300) or a number cannot. */
function locationDiffers(target: Target, a: CmmsAsset): boolean {
  if (!a.location || !a.location.includes('/')) return false;
  return normLocation(a.location, target.assetId) !== normLocation(target.location, target.assetId);
}

const suggestion = (a: CmmsAsset, why: string): Suggestion => ({
  assetId: a.tag ?? a.id, siteId: a.siteId, location: a.location, status: a.cmmsStatus || a.status, why,
});

function rank(a: CmmsAsset): number {
  return a.status === 'active' ? 0 : a.status === 'inactive' ? 1 : 2;
}

interface VerificationRun {
  checks: Map<string, TargetCheck>;
  counts: Record<VerificationStatus, number>;
  assets: number;
  at: string;
  longestSliceMs: number;
}

/** Marks every target against the CMMS's assets. Work is sliced so the flows keep running. */
export async function checkTargets(targets: Iterable<Target>, assets: readonly CmmsAsset[], at: string): Promise<VerificationRun> {
  const slicer = new Slicer();
  const byName = new Map<string, CmmsAsset[]>();
  for (let i = 0; i < assets.length; i++) {
    for (const n of namesOf(assets[i])) {
      const list = byName.get(n);
      if (list) list.push(assets[i]);
      else byName.set(n, [assets[i]]);
    }
    if ((i & 1023) === 1023) await slicer.tick();
  }
  const checks = new Map<string, TargetCheck>();
  const counts: Record<VerificationStatus, number> = { unchecked: 0, ok: 0, missing: 0, 'wrong-site': 0, 'wrong-location': 0, inactive: 0, decommissioned: 0 };
  const needSimilar: Array<{ target: Target; check: TargetCheck }> = [];
  let n = 0;
  for (const t of targets) {
    const check = checkOne(t, byName.get(t.assetId) ?? [], at);
    checks.set(t.key, check);
    counts[check.status] += 1;
    if (check.status === 'missing' || check.status === 'decommissioned' || check.status === 'inactive') needSimilar.push({ target: t, check });
    if ((++n & 1023) === 1023) await slicer.tick();
  }
  if (needSimilar.length > 0) await addSimilar(needSimilar, assets, slicer);
  return { checks, counts, assets: assets.length, at, longestSliceMs: slicer.longestMs };
}

function checkOne(t: Target, same: CmmsAsset[], at: string): TargetCheck {
  const atSite = same.filter((a) => a.siteId === t.siteId || a.siteId === null).sort((x, y) => rank(x) - rank(y));
  if (atSite.length === 0) {
    if (same.length === 0) return { status: 'missing', checkedAt: at };
    return {
      status: 'wrong-site', checkedAt: at,
      found: [...new Set(same.map((a) => a.siteId ?? '?'))].join(', '),
      suggestions: same.slice(0, MAX_SUGGESTIONS).map((a) => suggestion(a, 'other-site')),
    };
  }
  const a = atSite[0];
  const base: TargetCheck = { status: 'ok', checkedAt: at, cmmsStatus: a.cmmsStatus };
  if (a.tag && a.id !== t.assetId) base.cmmsId = a.id;
  if (a.status === 'decommissioned') return { ...base, status: 'decommissioned' };
  if (a.status === 'inactive') return { ...base, status: 'inactive' };
  if (locationDiffers(t, a)) return { ...base, status: 'wrong-location', found: a.location ?? '' };
  return base;
}

/**
 * Near-identical asset numbers for the targets that need them: same skeleton (O/0, I/1, case,
 * separators) or one edit apart. The few queries are indexed, and the CMMS list is streamed past them
 * once, so the cost stays linear in the number of CMMS assets.
 */
async function addSimilar(items: Array<{ target: Target; check: TargetCheck }>, assets: readonly CmmsAsset[], slicer: Slicer): Promise<void> {
  const bySkeleton = new Map<string, number[]>();
  const byDeletion = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, k: string, i: number): void => {
    const l = m.get(k);
    if (!l) m.set(k, [i]);
    else if (l[l.length - 1] !== i) l.push(i);
  };
  const upper = items.map((it) => it.target.assetId.toUpperCase());
  items.forEach((it, i) => {
    push(bySkeleton, skeleton(it.target.assetId), i);
    for (const d of deletions(upper[i])) push(byDeletion, d, i);
  });
  const found: Array<Map<CmmsAsset, number>> = items.map(() => new Map());
  for (let k = 0; k < assets.length; k++) {
    const a = assets[k];
    for (const name of namesOf(a)) {
      const hits = new Set<number>(bySkeleton.get(skeleton(name)) ?? []);
      const up = name.toUpperCase();
      for (const d of deletions(up)) for (const i of byDeletion.get(d) ?? []) hits.add(i);
      for (const i of hits) {
        if (name === items[i].target.assetId) continue;
        if (skeleton(name) === skeleton(items[i].target.assetId) || editDistance(upper[i], up) <= 1) {
          found[i].set(a, a.siteId === items[i].target.siteId ? 0 : 1);
        }
      }
    }
    if ((k & 1023) === 1023) await slicer.tick();
  }
  items.forEach((it, i) => {
    const similar = [...found[i].entries()]
      .sort((x, y) => x[1] - y[1] || rank(x[0]) - rank(y[0]))
      .map(([a]) => a)
      .filter((a) => it.check.status === 'missing' || a.status === 'active');
    if (similar.length === 0) return;
    const why = it.check.status === 'missing' ? 'similar-id' : 'active-replacement';
    it.check.suggestions = [...(it.check.suggestions ?? []), ...similar.slice(0, MAX_SUGGESTIONS).map((a) => suggestion(a, why))].slice(0, MAX_SUGGESTIONS);
  });
}
