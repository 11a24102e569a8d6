// CMMS simulator: one HTTP(S) server on 127.0.0.1 speaking IBM Maximo, ServiceNow, MaintainX and a
// generic REST dialect, with fault injection, request recording and signed webhooks.
// See README.md in this folder for the endpoints, credentials and the control API.
import { addAsset, DEFAULT_ASSETS } from './assets';
import type { DialectHandler, SimContext } from './context';
import { FaultRegistry } from './faults';
import { createMaintainx, MAINTAINX_TOKEN } from './maintainx';
import { createMaximo, MAXIMO_CREDENTIALS } from './maximo';
import { OAUTH_CLIENT, TokenStore } from './oauth';
import { createRandom } from './random';
import { createRest, REST_CREDENTIALS } from './rest';
import { listen } from './server';
import { createServiceNow, SERVICENOW_CREDENTIALS } from './servicenow';
import { WorkOrderStore } from './store';
import type { CmmsSim, CmmsSimOptions, Dialect, RecordedRequest, SimAsset } from './types';
import { WebhookDispatcher } from './webhooks';

export * from './types';
export { DEFAULT_ASSETS } from './assets';
export { signMaintainx, signServiceNow, signStandard } from './webhooks';

export const SIM_CREDENTIALS = {
  maximo: { apiKey: MAXIMO_CREDENTIALS.apikey, username: MAXIMO_CREDENTIALS.user, password: MAXIMO_CREDENTIALS.password },
  servicenow: { username: SERVICENOW_CREDENTIALS.user, password: SERVICENOW_CREDENTIALS.password, clientId: OAUTH_CLIENT.id, clientSecret: OAUTH_CLIENT.secret },
  maintainx: { token: MAINTAINX_TOKEN },
  rest: { token: REST_CREDENTIALS.token, apiKey: REST_CREDENTIALS.apiKey, clientId: OAUTH_CLIENT.id, clientSecret: OAUTH_CLIENT.secret },
} as const;

/** Recorded requests kept; older ones are dropped so a long demo does not grow without bound. */
const MAX_RECORDED = 10_000;

export async function startCmmsSim(opts: CmmsSimOptions = {}): Promise<CmmsSim> {
  const now = opts.now ?? Date.now;
  const seed = opts.seed ?? 1;
  // Separate streams: a fault roll must not change the next id, and the other way round.
  const idRandom = createRandom(seed);
  const faultRandom = createRandom(seed ^ 0x5bd1e995);
  const tokens = new TokenStore(idRandom, now, opts.tokenTtlSec ?? 3600);
  const faults = new FaultRegistry(faultRandom, now);
  let recorded: RecordedRequest[] = [];
  let baseUrl = '';

  const dialects = {} as Record<Dialect, DialectHandler>;
  const retry = opts.webhookRetry ?? {};
  const webhooks = new WebhookDispatcher({
    now,
    random: idRandom,
    attempts: retry.attempts ?? 5,
    baseMs: retry.baseMs ?? 1000,
    timeoutMs: retry.timeoutMs ?? 10_000,
    wire: (wo) => dialects[wo.dialect].wire(wo, baseUrl),
  });
  const store = new WorkOrderStore(now, (change) => webhooks.notify(change));

  // A copy the control API can add to (POST /__sim/assets); reset restores the given list.
  const initialAssets = opts.assets ?? DEFAULT_ASSETS;
  const assets: SimAsset[] = [...initialAssets];
  const rate = opts.maintainxRateLimit;
  const ctx: SimContext = {
    now, random: idRandom, store, tokens,
    assets,
    pageSizeMax: opts.pageSizeMax ?? 1000,
    maintainxRateLimit: rate === true ? { limit: 100, windowSec: 60 } : rate ? rate : null,
    servicenowRateLimit: opts.servicenowRateLimit ?? null,
    servicenowClientCredentials: opts.servicenowClientCredentials ?? true,
    restSigningSecret: opts.restSigningSecret ?? null,
    referenceLength: { maximo: opts.referenceLength?.maximo ?? 10, servicenow: opts.referenceLength?.servicenow ?? 100 },
    lenient: opts.lenient === true,
  };
  dialects.maximo = createMaximo(ctx);
  dialects.servicenow = createServiceNow(ctx);
  dialects.maintainx = createMaintainx(ctx);
  dialects.rest = createRest(ctx);
  for (const w of opts.webhooks ?? []) webhooks.add(w);

  const setStatus = (dialect: Dialect, id: string, status: string) => store.changeStatus(dialect, id, status);
  const reset = (): void => {
    assets.splice(0, assets.length, ...initialAssets);
    store.clear();
    recorded = [];
    faults.clear();
    tokens.clear();
    webhooks.reset();
    for (const d of Object.values(dialects)) d.reset();
  };

  const server = await listen({
    now,
    dialects,
    faults,
    tokens,
    bodyLimit: opts.bodyLimitBytes ?? 1024 * 1024,
    record: (r) => {
      recorded.push(r);
      if (recorded.length > MAX_RECORDED) recorded.splice(0, recorded.length - MAX_RECORDED);
    },
    control: {
      now,
      requests: () => structuredClone(recorded),
      clearRequests: () => { recorded = []; },
      faults,
      webhooks,
      workOrders: () => store.list(),
      wire: (wo, url) => dialects[wo.dialect].wire(wo, url),
      setStatus,
      addAsset: (body) => addAsset(assets, body),
      reset,
    },
  }, { port: opts.port ?? 0, tls: opts.tls });
  baseUrl = server.url;

  return {
    url: server.url,
    stop: async () => {
      webhooks.stop();
      await server.close();
    },
    faults: {
      add: (f) => faults.add(f),
      clear: () => faults.clear(),
      remove: (id) => { faults.remove(id); },
      list: () => faults.list(),
    },
    webhooks: {
      add: (w) => webhooks.add(w),
      remove: (id) => webhooks.remove(id),
      deliveries: () => webhooks.deliveries(),
      idle: () => webhooks.idle(),
    },
    requests: () => structuredClone(recorded),
    clearRequests: () => { recorded = []; },
    workOrders: (dialect) => structuredClone(store.list(dialect)),
    setStatus: (dialect, id, status) => {
      const r = setStatus(dialect, id, status);
      if (!r.ok) {
        const why = r.reason === 'not-found' ? `no ${dialect} work order ${id}`
          : r.reason === 'unknown-status' ? `unknown ${dialect} status ${r.to}` : `cannot move ${dialect} work order ${id} from ${r.from} to ${r.to}`;
        throw new Error(why);
      }
    },
    reset,
  };
}
