// Two waits every tier uses: until() polls a condition with one timeout behaviour (an assertion
// failure naming what was awaited, plus what the test knows), failure() expects a CmmsError.
import assert from 'node:assert/strict';
import { CmmsError } from '../../nodes/core/cmms/errors';

/**
 * Polls `cond` every `everyMs` until it holds; after `ms` fails the test with "timed out waiting
 * for <what>" and, when given, `detail()` (the state the test can see, for the report).
 */
export async function until(what: string, cond: () => boolean, ms = 10_000, detail?: () => string, everyMs = 10): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}${detail ? `: ${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The CmmsError `p` rejects with; fails the test when it resolves or rejects with anything else. */
export async function failure(p: Promise<unknown>): Promise<CmmsError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CmmsError, `expected a CmmsError, got ${e instanceof Error ? e.stack : String(e)}`);
    return e;
  }
  assert.fail('expected a failure');
}
