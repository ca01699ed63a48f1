// The ConnectWise behaviours the docs leave open, as switches (`PUT /__sim/behaviour`). Defaults are
// what ticketbridge assumes; `ticketbridge doctor` checks each on a real instance.
import { z } from 'zod';

export const CwBehaviour = z.strictObject({
  /** Adding or editing a note moves the ticket's `_info.lastUpdated` (research note §12, unverified). */
  noteMovesLastUpdated: z.boolean().default(true),
  /** A contact reference given by `{name}` is resolved (the connector writes contacts by name). */
  contactByName: z.boolean().default(true),
});
export type CwBehaviour = z.infer<typeof CwBehaviour>;
