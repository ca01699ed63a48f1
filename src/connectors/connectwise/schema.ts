// zod schemas for the ConnectWise Manage payloads the connector reads. Permissive: only the
// fields used are checked and everything else passes through (the vendor adds fields per version).
import { z } from 'zod';

const Info = z.record(z.string(), z.unknown());

const NamedRef = z.looseObject({ id: z.number().int(), name: z.string() });
const OptionalNamedRef = z.looseObject({ id: z.number().int().optional(), name: z.string().optional() });

export const CwTicket = z.looseObject({
  id: z.number().int().positive(),
  summary: z.string(),
  board: NamedRef,
  status: NamedRef,
  company: z.looseObject({ id: z.number().int(), identifier: z.string(), name: z.string().optional() }),
  priority: OptionalNamedRef.optional(),
  type: OptionalNamedRef.optional(),
  subType: OptionalNamedRef.optional(),
  item: OptionalNamedRef.optional(),
  owner: z
    .looseObject({ id: z.number().int().optional(), identifier: z.string(), name: z.string().optional() })
    .optional(),
  contact: OptionalNamedRef.optional(),
  severity: z.string().nullable().optional(),
  impact: z.string().nullable().optional(),
  budgetHours: z.number().nullable().optional(),
  externalXRef: z.string().nullable().optional(),
  closedFlag: z.boolean().nullable().optional(),
  _info: z.looseObject({ lastUpdated: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a timestamp') }),
});
export type CwTicket = z.infer<typeof CwTicket>;

export const CwNote = z.looseObject({
  id: z.number().int(),
  text: z.string().nullable().optional(),
  detailDescriptionFlag: z.boolean().nullable().optional(),
  internalAnalysisFlag: z.boolean().nullable().optional(),
  resolutionFlag: z.boolean().nullable().optional(),
  member: z.looseObject({ identifier: z.string().optional(), name: z.string().optional() }).optional(),
  contact: z.looseObject({ name: z.string().optional() }).optional(),
  createdBy: z.string().nullable().optional(),
  dateCreated: z.string().nullable().optional(),
  _info: Info.optional(),
});
export type CwNote = z.infer<typeof CwNote>;

export const CwBoard = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  inactiveFlag: z.boolean().nullable().optional(),
});
export type CwBoard = z.infer<typeof CwBoard>;

export const CwBoardStatus = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  closedStatus: z.boolean().nullable().optional(),
  defaultFlag: z.boolean().nullable().optional(),
  inactive: z.boolean().nullable().optional(),
  sortOrder: z.number().nullable().optional(),
});
export type CwBoardStatus = z.infer<typeof CwBoardStatus>;

/** Board types, subtypes and items: one shape. */
export const CwBoardChild = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  inactiveFlag: z.boolean().nullable().optional(),
});
export type CwBoardChild = z.infer<typeof CwBoardChild>;

export const CwPriority = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  sortOrder: z.number().nullable().optional(),
});
export type CwPriority = z.infer<typeof CwPriority>;

export const CwMember = z.looseObject({
  id: z.number().int(),
  identifier: z.string(),
  firstName: z.string().nullable().optional(),
  lastName: z.string().nullable().optional(),
  inactiveFlag: z.boolean().nullable().optional(),
});
export type CwMember = z.infer<typeof CwMember>;

/** A board's team (spec: BoardTeam of GET /service/boards/{parentId}/teams). */
export const CwBoardTeam = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  teamLeader: z.looseObject({ identifier: z.string().optional() }).nullable().optional(),
  members: z.array(z.number().int()).nullable().optional(),
});
export type CwBoardTeam = z.infer<typeof CwBoardTeam>;

/**
 * A user-defined field (`GET /system/userDefinedFields`). The vendored spec has no such path: the
 * fields read are the ones ConnectWise clients read (amp-labs `modelCustomField`: caption,
 * fieldTypeIdentifier, entryTypeIdentifier, options[].optionValue, screenId), all optional but
 * id and caption. Tickets carry their values as `customFields` (spec: CustomFieldValue
 * {id, caption, type, entryMethod, value}).
 */
export const CwUserDefinedField = z.looseObject({
  id: z.number().int(),
  caption: z.string(),
  screenId: z.string().nullable().optional(),
  fieldTypeIdentifier: z.string().nullable().optional(),
  entryTypeIdentifier: z.string().nullable().optional(),
  options: z
    .array(
      z.looseObject({ optionValue: z.string().nullable().optional(), inactiveFlag: z.boolean().nullable().optional() }),
    )
    .nullable()
    .optional(),
});
export type CwUserDefinedField = z.infer<typeof CwUserDefinedField>;

export const CwCompanyInfo = z.looseObject({ Codebase: z.string().min(1) });
export type CwCompanyInfo = z.infer<typeof CwCompanyInfo>;

export const CwCallbackEntry = z.looseObject({
  id: z.number().int(),
  url: z.string(),
  type: z.string(),
  level: z.string(),
  objectId: z.number().int().nullable().optional(),
  inactiveFlag: z.boolean().nullable().optional(),
});
export type CwCallbackEntry = z.infer<typeof CwCallbackEntry>;

/** The PascalCase callback delivery; `Entity` is a JSON string (an object is tolerated). */
export const CwCallbackPayload = z.looseObject({
  MessageId: z.string().optional(),
  Action: z.string().optional(),
  Type: z.string().optional(),
  ID: z.union([z.number().int(), z.string().regex(/^\d+$/)]).optional(),
  MemberId: z.string().nullable().optional(),
  Entity: z
    .union([z.string(), z.record(z.string(), z.unknown())])
    .nullable()
    .optional(),
  Metadata: z.looseObject({ key_url: z.string().optional() }).nullable().optional(),
});
export type CwCallbackPayload = z.infer<typeof CwCallbackPayload>;

export const CwSigningKey = z.looseObject({ signing_key: z.string().min(1) });
export type CwSigningKey = z.infer<typeof CwSigningKey>;

/** `{code, message, errors:[{code, message, resource, field}]}`; 429 bodies carry `error` instead of `code`. */
export const CwErrorBody = z.looseObject({
  code: z.string().optional(),
  error: z.string().optional(),
  message: z.string().optional(),
  errors: z
    .array(
      z.looseObject({
        code: z.string().optional(),
        message: z.string().optional(),
        field: z.string().optional(),
        resource: z.string().optional(),
      }),
    )
    .nullable()
    .optional(),
});
export type CwErrorBody = z.infer<typeof CwErrorBody>;

/** A document (file) on a record: `GET /system/documents?recordType=Ticket&recordId=N` (DocumentInfo). */
export const CwDocument = z.looseObject({
  id: z.number().int(),
  title: z.string().nullable().optional(),
  fileName: z.string().nullable().optional(),
  size: z.number().nullable().optional(),
  publicFlag: z.boolean().nullable().optional(),
  linkFlag: z.boolean().nullable().optional(),
  urlFlag: z.boolean().nullable().optional(),
  createdOnDate: z.string().nullable().optional(),
});
export type CwDocument = z.infer<typeof CwDocument>;
