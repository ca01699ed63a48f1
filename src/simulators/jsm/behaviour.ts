// The Jira behaviours the docs leave open, as switches (`PUT /__sim/behaviour`). Defaults are what
// ticketbridge assumes; `ticketbridge doctor` checks each on a real site.
import { z } from 'zod';

export const JiraBehaviour = z.strictObject({
  /** A comment moves the issue's `updated` (research note §15; not stated in the platform spec). */
  commentMovesUpdated: z.boolean().default(true),
  /**
   * JQL knows request types by their name (`"Request Type" = "Get IT help"`). Off: only as
   * "name (portal)" or by id, as some sites answer.
   */
  requestTypeJqlNames: z.boolean().default(true),
  /** Admin webhooks registered with a secret are signed (`X-Hub-Signature`). Off: the secret is ignored. */
  signWebhooks: z.boolean().default(true),
});
export type JiraBehaviour = z.infer<typeof JiraBehaviour>;
