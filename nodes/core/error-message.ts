// What a caught value says, for messages people read: an Error's message, anything else as text.
// One spelling for the whole tree (it was written out ~32 times).
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
