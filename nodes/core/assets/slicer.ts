// Long work (loading 100 000 rows, verifying against a large asset list) is cut into slices so the
// flows that are already running keep their event loop: Node-RED runs everything on one thread.

/** Longest stretch of work before the loader lets other events run. */
const SLICE_MS = 15;

export class Slicer {
  private since = performance.now();
  /** The longest slice so far, for the load report. */
  longestMs = 0;

  /** True when the current slice has used its time. */
  due(): boolean {
    return performance.now() - this.since >= SLICE_MS;
  }

  /** Ends the slice: `next` runs on a later turn of the event loop, after other events. */
  pause(next: () => void): void {
    const spent = performance.now() - this.since;
    setImmediate(() => {
      this.longestMs = Math.max(this.longestMs, spent);
      this.since = performance.now();
      next();
    });
  }

  /** Lets other events run if the slice is used up. */
  async tick(): Promise<void> {
    if (!this.due()) return;
    await new Promise<void>((resolve) => this.pause(resolve));
  }
}
