// The addresses `npm start` prints, read as a user reads them: once its whole start banner is out.
import { waitFor, type Child } from './package-runtime';

export interface DemoUrls {
  editor: string;
  dashboard: string;
  cmms: string;
  plant: string;
}

/**
 * Waits for the demo's start banner to end (its last line is "Ctrl-C to stop") and returns the
 * addresses in it. The child's output arrives in chunks: when the editor's line is there, the lines
 * printed after it may not be yet (a CI run read the log between two chunks).
 */
export async function demoUrls(demo: Child, timeoutMs = 60_000): Promise<DemoUrls> {
  const log = await waitFor('the demo start banner ("Ctrl-C to stop")', async () => (/\[demo\] Ctrl-C to stop/.test(demo.log()) ? demo.log() : undefined),
    timeoutMs, () => (demo.exited() ? `demo exited early:\n${demo.log()}` : undefined));
  const pick = (what: string, re: RegExp): string => {
    const m = re.exec(log);
    if (!m) throw new Error(`the demo's start banner has no ${what}:\n${log}`);
    return m[1];
  };
  return {
    editor: pick('editor address', /Node-RED editor: (http:\/\/\S+?)\/?$/m),
    dashboard: pick('dashboard address', /dashboard \(SPC chart, alarms, work orders\): (http:\/\/\S+)/),
    cmms: pick('CMMS simulator address', /CMMS simulator: (http:\/\/\S+)/),
    plant: pick('plant simulator address', /plant simulator: (http:\/\/\S+)/),
  };
}
