// The one shape of a rejection, the same on every node's reject output: `msg.error`. A Catch node
// gives `msg.error.message` too, so one flow can handle both. Each node's older fields (`msg.reason`,
// `msg.errors`, mw-work-order's result payload) stay beside it for flows written before.

/** What went wrong with one message, for a flow to branch on (`code`) and a person to read (`message`). */
export interface Rejection {
  /** The reason word, e.g. `invalid`, `invalid-control`, `unmapped`, `no-connection` (listed per node in docs/contracts.md). */
  code: string;
  /** One line for a person, translated: the same text the node passes to done(err) when it does. */
  message: string;
  /** Every problem found, one string each (field paths and what they must be). */
  details: string[];
}
