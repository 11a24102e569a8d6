// The CMMS simulator for the work-order benchmark, in a process of its own: on a gateway the CMMS is
// another machine, so its request handling must not count in Node-RED's event-loop delay. Started by
// work-order.ts with fork(); reports its URL over IPC and stops when the parent goes away.
import { DEFAULT_ASSETS, startCmmsSim } from '../sim/cmms';
import type { SimAsset } from '../sim/cmms/types';

/**
 * The 50 pumps the backlog and the drain spread over, registered in the simulator beside its
 * default master data: the simulator refuses a work order for an asset it does not know
 * (BMXAA2661E), and the drain is to measure deliveries, not dead letters.
 */
export const BENCH_ASSETS: SimAsset[] = Array.from({ length: 50 }, (_, i) => {
  const assetnum = `PUMP-${200 + i}`;
  return { assetnum, siteid: 'BEDFORD', orgid: 'EAGLENA', location: `BEDFORD/AREA1/LINE2/${assetnum}`, description: `Bench pump ${i + 1}`, status: 'OPERATING', assetClass: 'PUMP' };
});

async function main(): Promise<void> {
  const sim = await startCmmsSim({ seed: 3, assets: [...DEFAULT_ASSETS, ...BENCH_ASSETS] });
  const stop = (): void => { sim.stop().finally(() => process.exit(0)); };
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);
  process.send?.({ url: sim.url });
}

if (require.main === module) {
  main().catch((e: unknown) => { process.stderr.write(`CMMS simulator child: ${String(e)}\n`); process.exit(1); });
}
