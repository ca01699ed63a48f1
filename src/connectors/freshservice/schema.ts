// zod schemas for the Freshservice API v2 payloads the connector reads. Permissive: only the
// fields used are checked, everything else passes through; blank values arrive as null.
import { z } from 'zod';

const Id = z.number().int();
const NullableString = z.string().nullable().optional();
const NullableId = Id.nullable().optional();

/** A file on a ticket or conversation (D§attachments); `attachment_url` is pre-signed and short-lived. */
export const FsAttachment = z.looseObject({
  id: Id,
  name: z.string(),
  content_type: z.string().nullable().optional(),
  size: z.number().int(),
  attachment_url: z.string(),
  created_at: z.string().nullable().optional(),
});
export type FsAttachment = z.infer<typeof FsAttachment>;

export const FsRequesterBrief = z.looseObject({
  id: Id,
  email: z.string().nullable().optional(),
  name: z.string().nullable().optional(),
});
export type FsRequesterBrief = z.infer<typeof FsRequesterBrief>;

export const FsTicket = z.looseObject({
  id: Id,
  subject: z.string().nullable(),
  description: z.string().nullable().optional(),
  description_text: z.string().nullable().optional(),
  status: Id,
  priority: Id,
  urgency: Id.nullable().optional(),
  impact: Id.nullable().optional(),
  type: NullableString,
  category: NullableString,
  sub_category: NullableString,
  item_category: NullableString,
  group_id: NullableId,
  responder_id: NullableId,
  requester_id: NullableId,
  workspace_id: NullableId,
  tags: z.array(z.string()).optional(),
  custom_fields: z.record(z.string(), z.unknown()).nullable().optional(),
  due_by: NullableString,
  created_at: z.string(),
  updated_at: z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'not a timestamp'),
  deleted: z.boolean().optional(),
  spam: z.boolean().optional(),
  requester: FsRequesterBrief.nullable().optional(),
  attachments: z.array(FsAttachment).optional(),
});
export type FsTicket = z.infer<typeof FsTicket>;

export const FsTicketList = z.looseObject({ tickets: z.array(z.unknown()) });
export const FsTicketEnvelope = z.looseObject({ ticket: z.unknown() });
export const FsFilterResult = z.looseObject({ tickets: z.array(z.unknown()), total: z.number().int().optional() });

export const FsConversation = z.looseObject({
  id: Id,
  body: z.string().nullable().optional(),
  body_text: z.string().nullable().optional(),
  private: z.boolean().optional(),
  incoming: z.boolean().optional(),
  source: Id.optional(),
  user_id: NullableId,
  created_at: z.string(),
  attachments: z.array(FsAttachment).optional(),
});
export type FsConversation = z.infer<typeof FsConversation>;

export const FsConversationList = z.looseObject({ conversations: z.array(FsConversation) });
export const FsConversationEnvelope = z.looseObject({ conversation: FsConversation });

export interface FsChoiceTree {
  id?: number | undefined;
  value: string;
  nested_options?: FsChoiceTree[] | undefined;
}

const FsChoice: z.ZodType<FsChoiceTree> = z.lazy(() =>
  z.looseObject({ id: Id.optional(), value: z.string(), nested_options: z.array(FsChoice).optional() }),
);

export const FsFormField = z.looseObject({
  name: z.string(),
  label: z.string().optional(),
  field_type: z.string(),
  default_field: z.boolean().optional(),
  required_for_closure: z.boolean().optional(),
  choices: z.array(FsChoice).optional(),
});
export type FsFormField = z.infer<typeof FsFormField>;
export const FsFormFields = z.looseObject({ ticket_fields: z.array(FsFormField) });

export const FsGroup = z.looseObject({ id: Id, name: z.string() });
export type FsGroup = z.infer<typeof FsGroup>;
export const FsGroupList = z.looseObject({ groups: z.array(FsGroup) });

export const FsRequester = z.looseObject({
  id: Id,
  primary_email: z.string().nullable().optional(),
  email: z.string().nullable().optional(),
  first_name: z.string().nullable().optional(),
  last_name: z.string().nullable().optional(),
});
export type FsRequester = z.infer<typeof FsRequester>;
export const FsRequesterEnvelope = z.looseObject({ requester: FsRequester });
export const FsAgentEnvelope = z.looseObject({ agent: FsRequester });
export const FsAgent = z.looseObject({
  id: Id,
  first_name: z.string().nullable().optional(),
  last_name: z.string().nullable().optional(),
  email: z.string().nullable().optional(),
});
export type FsAgent = z.infer<typeof FsAgent>;
export const FsAgentList = z.looseObject({ agents: z.array(FsAgent) });

/** `{"description":"Validation failed","errors":[{field,message,code}]}` or `{"code","message"}`. */
export const FsErrorBody = z.looseObject({
  description: z.string().optional(),
  message: z.string().optional(),
  code: z.string().optional(),
  errors: z
    .array(z.looseObject({ field: z.string().optional(), message: z.string().optional(), code: z.string().optional() }))
    .optional(),
});

/** The Workflow Automator web request body ticketbridge asks admins to configure. */
export const FsWebhookBody = z.looseObject({
  ticket_id: z.union([z.number(), z.string()]).optional(),
  id: z.union([z.number(), z.string()]).optional(),
  updated_at: z.unknown().optional(),
  ticket: z
    .looseObject({
      id: z.union([z.number(), z.string()]).optional(),
      id_numeric: z.union([z.number(), z.string()]).optional(),
      updated_at: z.unknown().optional(),
    })
    .optional(),
});
