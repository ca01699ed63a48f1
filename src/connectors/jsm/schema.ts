// zod schemas for the Jira Cloud payloads the connector reads, parsed permissively: only the
// fields used are checked, everything else passes through untouched.
import { z } from 'zod';

/** An Atlassian Document Format node (validated structurally by convert.ts when walked). */
export const AdfNode: z.ZodType<AdfNode> = z.lazy(() =>
  z.looseObject({
    type: z.string(),
    text: z.string().optional(),
    attrs: z.record(z.string(), z.unknown()).optional(),
    marks: z.array(z.unknown()).optional(),
    content: z.array(AdfNode).optional(),
  }),
);
export interface AdfNode {
  type: string;
  text?: string | undefined;
  attrs?: Record<string, unknown> | undefined;
  marks?: unknown[] | undefined;
  content?: AdfNode[] | undefined;
  version?: number;
}

export const JiraUser = z.looseObject({
  accountId: z.string(),
  displayName: z.string().optional(),
  emailAddress: z.string().optional(),
  accountType: z.string().optional(),
  timeZone: z.string().optional(),
});
export type JiraUser = z.infer<typeof JiraUser>;

export const JiraStatusCategory = z.looseObject({
  id: z.number().optional(),
  key: z.string(),
  name: z.string().optional(),
});

export const JiraStatus = z.looseObject({
  id: z.string(),
  name: z.string(),
  statusCategory: JiraStatusCategory.optional(),
});
export type JiraStatus = z.infer<typeof JiraStatus>;

const Named = z.looseObject({ id: z.string().optional(), name: z.string() });

export const JiraRequestTypeValue = z.looseObject({
  requestType: z.looseObject({ id: z.string(), name: z.string() }).optional(),
});

/** The fields of an issue the connector relies on; every other field passes through. */
export const JiraIssueFields = z.looseObject({
  summary: z.string(),
  description: AdfNode.nullable().optional(),
  status: JiraStatus,
  priority: Named.nullable().optional(),
  issuetype: Named.optional(),
  labels: z.array(z.string()).optional(),
  assignee: JiraUser.nullable().optional(),
  reporter: JiraUser.nullable().optional(),
  resolution: Named.nullable().optional(),
  project: z.looseObject({ id: z.string(), key: z.string(), projectTypeKey: z.string().optional() }),
  updated: z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'not a timestamp'),
  created: z.string().optional(),
});

export const JiraIssue = z.looseObject({
  id: z.string().regex(/^\d+$/, 'not a numeric id'),
  key: z.string(),
  fields: JiraIssueFields,
  properties: z.record(z.string(), z.unknown()).optional(),
});
export type JiraIssue = z.infer<typeof JiraIssue>;

/** `GET /issue/{key}?fields=none`: just who the issue is. */
export const JiraIssueRef = z.looseObject({ id: z.string().regex(/^\d+$/, 'not a numeric id'), key: z.string() });

/** A search result entry before it is parsed as a full issue (one bad issue never stops a page). */
export const JiraSearchPage = z.looseObject({
  issues: z.array(z.looseObject({ id: z.union([z.string(), z.number()]).optional() })),
  nextPageToken: z.string().nullable().optional(),
  isLast: z.boolean().optional(),
});
export type JiraSearchPage = z.infer<typeof JiraSearchPage>;

export const JiraFieldMeta = z.looseObject({
  required: z.boolean(),
  name: z.string().optional(),
  hasDefaultValue: z.boolean().optional(),
  allowedValues: z
    .array(z.looseObject({ id: z.string().optional(), name: z.string().optional(), value: z.string().optional() }))
    .optional(),
});

export const JiraTransition = z.looseObject({
  id: z.string(),
  name: z.string(),
  to: JiraStatus,
  fields: z.record(z.string(), JiraFieldMeta).optional(),
});
export type JiraTransition = z.infer<typeof JiraTransition>;

export const JiraTransitions = z.looseObject({ transitions: z.array(JiraTransition) });

export const JiraComment = z.looseObject({
  id: z.string(),
  body: AdfNode.nullable().optional(),
  author: JiraUser.optional(),
  created: z.string(),
  jsdPublic: z.boolean().optional(),
  visibility: z.looseObject({ type: z.string().optional(), value: z.string().optional() }).optional(),
});
export type JiraComment = z.infer<typeof JiraComment>;

export const JiraCommentPage = z.looseObject({
  startAt: z.number(),
  maxResults: z.number(),
  total: z.number(),
  comments: z.array(JiraComment),
});

/** One page of `GET /issue/{id}/changelog` (oldest first). */
export const JiraChangelogPage = z.looseObject({
  startAt: z.number(),
  maxResults: z.number(),
  total: z.number(),
  values: z.array(
    z.looseObject({
      created: z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'not a timestamp'),
      author: z.looseObject({ accountId: z.string().optional() }).optional(),
      items: z.array(z.looseObject({ field: z.string(), fieldId: z.string().optional() })),
    }),
  ),
});

export const JiraMyself = JiraUser;

export const JiraCreatedIssue = z.looseObject({ id: z.string(), key: z.string() });

export const JiraCustomerRequest = z.looseObject({ issueId: z.string(), issueKey: z.string() });

export const JiraField = z.looseObject({
  id: z.string(),
  name: z.string(),
  custom: z.boolean(),
  schema: z
    .looseObject({
      type: z.string(),
      custom: z.string().optional(),
      system: z.string().optional(),
      items: z.string().optional(),
    })
    .optional(),
});
export type JiraField = z.infer<typeof JiraField>;

export const JiraPriority = z.looseObject({ id: z.string(), name: z.string() });

/** A page of `GET /priority/search` (PageBeanPriority). */
export const JiraPriorityPage = z.looseObject({
  startAt: z.number().int().optional(),
  total: z.number().int().optional(),
  isLast: z.boolean().optional(),
  values: z.array(JiraPriority),
});

/** A page of `GET /rest/api/3/group/bulk` (platform spec: PageBeanGroupDetails of GroupDetails `{name, groupId}`). */
export const JiraGroupPage = z.looseObject({
  startAt: z.number().int().optional(),
  total: z.number().int().optional(),
  isLast: z.boolean().optional(),
  values: z.array(z.looseObject({ name: z.string(), groupId: z.string().nullable().optional() })),
});

export const JiraProjectStatuses = z.array(
  z.looseObject({ id: z.string(), name: z.string(), statuses: z.array(JiraStatus) }),
);

const paged = <T extends z.ZodType>(item: T) =>
  z.looseObject({
    values: z.array(item),
    isLastPage: z.boolean().optional(),
    start: z.number().optional(),
    size: z.number().optional(),
  });

export const JiraServiceDeskPage = paged(
  z.looseObject({ id: z.string(), projectId: z.string(), projectKey: z.string() }),
);
export const JiraRequestTypePage = paged(
  z.looseObject({ id: z.string(), name: z.string(), issueTypeId: z.string().optional() }),
);

export const JiraAdminWebhook = z.looseObject({ self: z.string(), name: z.string(), url: z.string() });
export const JiraAdminWebhooks = z.array(JiraAdminWebhook);

/** `jira:issue_*` and `comment_*` webhook bodies: only the issue reference is needed. */
export const JiraWebhookPayload = z.looseObject({
  webhookEvent: z.string(),
  issue_event_type_name: z.string().optional().catch(undefined),
  timestamp: z.number().optional(),
  user: z.looseObject({ accountId: z.string() }).optional(),
  issue: z.looseObject({ id: z.union([z.string(), z.number()]) }).optional(),
  comment: z.looseObject({ id: z.string(), author: z.looseObject({ accountId: z.string() }).optional() }).optional(),
  changelog: z.looseObject({ items: z.array(z.unknown()) }).optional(),
});
export type JiraWebhookPayload = z.infer<typeof JiraWebhookPayload>;

/** Platform `ErrorCollection` and JSM `ErrorResponse` bodies. */
export const JiraErrorBody = z.looseObject({
  errorMessages: z.array(z.string()).optional(),
  errors: z.record(z.string(), z.string()).optional(),
  errorMessage: z.string().optional(),
});

/** An issue attachment (`fields.attachment[]`, addAttachment's answer). */
export const JiraAttachment = z.looseObject({
  id: z.union([z.string(), z.number()]).transform(String),
  filename: z.string(),
  size: z.number().int().nonnegative(),
  mimeType: z.string().optional(),
  created: z.string().optional(),
});
export type JiraAttachment = z.infer<typeof JiraAttachment>;

export const JiraAttachmentList = z.array(JiraAttachment);

/** `GET /issue/{id}?fields=attachment,description`: the files and where the description shows them. */
export const JiraIssueFiles = z.looseObject({
  id: z.string(),
  fields: z.looseObject({
    attachment: z.array(JiraAttachment).nullable().optional(),
    description: AdfNode.nullable().optional(),
  }),
});

/** `GET /attachment/meta` (AttachmentSettings). */
export const JiraAttachmentSettings = z.looseObject({
  enabled: z.boolean().optional(),
  uploadLimit: z.number().int().positive().optional(),
});
