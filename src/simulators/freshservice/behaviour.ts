// The Freshservice behaviours the docs leave open or contradict, as switches (`PUT /__sim/behaviour`).
// Defaults are what ticketbridge assumes; `ticketbridge doctor` checks each on a real account.
import { z } from 'zod';

export const FsBehaviour = z.strictObject({
  /**
   * Ticket objects in listings and views carry `tags`, as the `ticket` definition of Freshworks'
   * own SDK spec has them. Off: only create/update responses do, as in the reference's examples.
   */
  tagsInTickets: z.boolean().default(true),
  /** A note or reply moves the ticket's `updated_at` (not documented; assumed). */
  noteMovesUpdatedAt: z.boolean().default(true),
  /** Credits each include adds to a ticket listing (documented: 2, D§rate-limit "embedding"). */
  listIncludeCredits: z.number().int().min(0).default(2),
  /**
   * A create's 201 carries `urgency`, `impact` and `deleted`, as a view does. Off (the harsher
   * reading): they are left out, as in the reference's `POST /api/v2/tickets` 201 example.
   */
  createAnswerComplete: z.boolean().default(false),
  /**
   * An update's answer carries `urgency`, `impact` and `deleted`, as a view does. Off (the harsher
   * reading): they are left out, as in the reference's `PUT /api/v2/tickets/{id}` example.
   */
  updateAnswerComplete: z.boolean().default(false),
  /** Longest subject the account takes (not documented; 255 assumed). */
  subjectMax: z.number().int().min(1).default(255),
});
export type FsBehaviour = z.infer<typeof FsBehaviour>;
