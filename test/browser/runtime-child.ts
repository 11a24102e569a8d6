// A Node-RED runtime with this package in a child process, for browser tests that need their own
// flow: Node-RED is one runtime per process, and several browser spec files run in one mocha process.
// Reads MW_USER_DIR and MW_FLOWS (a JSON file with the flow); prints the editor URL; stops on SIGINT.
import fs from 'node:fs';
import { startRuntime } from '../../sim/runtime';

async function main(): Promise<void> {
  const userDir = process.env.MW_USER_DIR;
  const flowsFile = process.env.MW_FLOWS;
  if (!userDir || !flowsFile) throw new Error('MW_USER_DIR and MW_FLOWS are required');
  const flows = JSON.parse(fs.readFileSync(flowsFile, 'utf8')) as object[];
  const runtime = await startRuntime({ userDir, port: 0, flows, installPackage: true, logLevel: 'warn' });
  console.log(`Node-RED editor: ${runtime.url}`);
  const stop = (): void => { runtime.stop().then(() => process.exit(0), () => process.exit(1)); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
