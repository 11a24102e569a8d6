// `npm run sim:cmms`: runs the simulator on SIM_PORT (default 8090) until SIGINT or SIGTERM.
import { startCmmsSim } from './index';

async function main(): Promise<void> {
  const port = Number(process.env.SIM_PORT ?? 8090);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`SIM_PORT must be a port number, got ${process.env.SIM_PORT}`);
  const seed = process.env.SIM_SEED === undefined ? undefined : Number(process.env.SIM_SEED);
  const sim = await startCmmsSim({ port, seed });
  process.stdout.write(`CMMS simulator listening on ${sim.url}\n`);
  process.stdout.write(`  work orders page: ${sim.url}/   control API: ${sim.url}/__sim/state\n`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping\n`);
    sim.stop().then(() => process.exit(0), (err: unknown) => {
      process.stderr.write(`stop failed: ${(err as Error).message}\n`);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`CMMS simulator failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
