// What an mw-asset-map node sees of its mw-asset-registry config node. Kept apart from the node file so
// that the map node imports a type, not another node.
import type { RegistryService } from './service';

export interface RegistryHandle {
  /** Null when the registry's settings are invalid; the reasons are in `configErrors`. */
  readonly service: RegistryService | null;
  readonly configErrors: string[];
  /** Calls `listener` whenever the map is loaded, fails to load, or is verified; returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
}

/** A registry report as the map node's second output and the admin API give it. */
export function verificationReport(service: RegistryService, limit = 1000): Record<string, unknown> {
  const problems: Array<Record<string, unknown>> = [];
  let total = 0;
  for (const t of service.registry?.targets ?? []) {
    if (t.check.status === 'ok') continue;
    total += 1;
    if (problems.length >= limit) continue;
    problems.push({
      assetId: t.assetId, siteId: t.siteId, location: t.location, status: t.check.status,
      rows: t.describeRows(), rowCount: t.rowCount,
      ...(t.check.found !== undefined ? { found: t.check.found } : {}),
      ...(t.check.suggestions ? { suggestions: t.check.suggestions } : {}),
    });
  }
  return { summary: service.summary, error: service.lastVerifyError, notOk: total, problems };
}
