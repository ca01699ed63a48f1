// Field writes as Jira validates them on create and edit: ADF for rich text, objects for
// priority/issuetype/users/options, screen rules (status and resolution are not settable), and
// Jira's per-field error messages.
import { NOT_ADF_MESSAGE, adfProblem, type AdfNode } from './adf.js';
import { ISSUE_TYPES, PRIORITIES, REQUEST_TYPE_FIELD } from './fixtures.js';
import { scalar } from './scalar.js';
import type { IssueRecord, JiraStore } from './store.js';

export { scalar };

export type FieldErrors = Record<string, string>;

/**
 * Jira Cloud's text limits as the simulator enforces them (the harsher readings, see the JSM
 * connector's readme): a summary "must be less than 255 characters"; rich text 32,767 characters,
 * counted on the ADF document's JSON; a single-line text field 255.
 */
export const SUMMARY_MAX = 254;
export const RICH_TEXT_MAX = 32_767;
export const TOO_LONG = `The entered text is too long. It exceeds the allowed limit of 32,767 characters.`;

/** The error for a rich-text value over the limit, or null. */
export function richTextTooLong(doc: unknown): string | null {
  return JSON.stringify(doc).length > RICH_TEXT_MAX ? TOO_LONG : null;
}

export function notOnScreen(fieldId: string): string {
  return `Field '${fieldId}' cannot be set. It is not on the appropriate screen, or unknown.`;
}

function idOrName(value: unknown): { id?: string; name?: string } | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as { id?: unknown; name?: unknown };
  const out: { id?: string; name?: string } = {};
  if (v.id !== undefined) out.id = scalar(v.id);
  if (typeof v.name === 'string') out.name = v.name;
  return out.id === undefined && out.name === undefined ? null : out;
}

/** Applies one `fields` entry to a draft issue; records an error instead on invalid input. */
export function setField(
  store: JiraStore,
  draft: IssueRecord,
  fieldId: string,
  value: unknown,
  errors: FieldErrors,
): void {
  switch (fieldId) {
    case 'summary':
      if (typeof value !== 'string' || value.trim() === '') errors.summary = 'You must specify a summary of the issue.';
      else if (value.length > SUMMARY_MAX) errors.summary = 'Summary must be less than 255 characters.';
      else draft.summary = value;
      return;
    case 'description': {
      if (value === null) {
        draft.description = null;
        return;
      }
      const problem = adfProblem(value) ?? richTextTooLong(value);
      if (problem) errors.description = problem;
      else draft.description = value as AdfNode;
      return;
    }
    case 'priority': {
      if (value === null) {
        draft.priorityId = null;
        return;
      }
      const ref = idOrName(value);
      const p =
        ref &&
        PRIORITIES.find(
          (x) => x.id === ref.id || (ref.name !== undefined && x.name.toLowerCase() === ref.name.toLowerCase()),
        );
      if (!p) errors.priority = "Specify a valid 'id' or 'name' for Priority";
      else draft.priorityId = p.id;
      return;
    }
    case 'issuetype': {
      const ref = idOrName(value);
      const project = store.projectOf(draft);
      const t =
        ref &&
        ISSUE_TYPES.find(
          (x) =>
            project.issueTypeIds.includes(x.id) &&
            (x.id === ref.id || (ref.name !== undefined && x.name.toLowerCase() === ref.name.toLowerCase())),
        );
      if (!t) errors.issuetype = 'Specify an issue type';
      else draft.issueTypeId = t.id;
      return;
    }
    case 'labels': {
      if (!Array.isArray(value) || value.some((l) => typeof l !== 'string')) {
        errors.labels = 'data was not an array';
        return;
      }
      const bad = (value as string[]).find((l) => /\s/.test(l) || l.length === 0 || l.length > 255);
      if (bad !== undefined) errors.labels = `The label '${bad}' contains spaces which is invalid.`;
      else draft.labels = [...new Set(value as string[])];
      return;
    }
    case 'assignee':
    case 'reporter': {
      if (value === null) {
        draft[fieldId] = null;
        return;
      }
      const accountId = (value as { accountId?: unknown } | null)?.accountId;
      if (typeof accountId !== 'string' || !store.users.has(accountId)) {
        errors[fieldId] =
          typeof accountId === 'string'
            ? `User '${accountId}' cannot be assigned issues.`
            : `Specify a valid value for ${fieldId}`;
        return;
      }
      draft[fieldId] = accountId;
      return;
    }
    case REQUEST_TYPE_FIELD: {
      const found = typeof value === 'string' ? store.requestType(value) : undefined;
      if (!found || found.project.id !== draft.projectId)
        errors[fieldId] = 'The request type you specified does not exist or is not accessible.';
      else draft.requestTypeId = found.requestType.id;
      return;
    }
    default:
      break;
  }
  const def = store.fields.get(fieldId);
  if (!def || !def.custom) {
    errors[fieldId] = notOnScreen(fieldId);
    return;
  }
  if (value === null) {
    delete draft.custom[fieldId];
    return;
  }
  if (def.options) {
    const ref = value as { id?: unknown; value?: unknown };
    const option = def.options.find((o) => o.id === scalar(ref?.id) || o.value === ref?.value);
    if (!option) errors[fieldId] = `Option value '${scalar(ref?.value ?? ref?.id)}' is not valid`;
    else
      draft.custom[fieldId] = {
        self: `/rest/api/3/customFieldOption/${option.id}`,
        value: option.value,
        id: option.id,
      };
    return;
  }
  if (def.schema.custom === 'com.atlassian.jira.plugin.system.customfieldtypes:textarea') {
    // Multi-line text takes ADF on v3, like the description.
    const problem = adfProblem(value) ?? richTextTooLong(value);
    if (problem) errors[fieldId] = problem;
    else draft.custom[fieldId] = value;
    return;
  }
  if (def.schema.type === 'string') {
    if (typeof value !== 'string') errors[fieldId] = 'Operation value must be a string';
    else if (value.length > 255)
      errors[fieldId] = 'The entered text is too long. It exceeds the allowed limit of 255 characters.';
    else draft.custom[fieldId] = value;
    return;
  }
  draft.custom[fieldId] = value;
}

/** Applies `update` operations (`add`/`remove`/`set`) for the fields that support them. */
export function applyUpdateOps(
  store: JiraStore,
  draft: IssueRecord,
  update: Record<string, unknown>,
  errors: FieldErrors,
): void {
  for (const [fieldId, ops] of Object.entries(update)) {
    if (!Array.isArray(ops)) {
      errors[fieldId] = 'Operations must be an array';
      continue;
    }
    for (const op of ops as Record<string, unknown>[]) {
      if ('set' in op) setField(store, draft, fieldId, op.set, errors);
      else if (fieldId === 'labels' && typeof op.add === 'string') {
        if (/\s/.test(op.add)) errors.labels = `The label '${op.add}' contains spaces which is invalid.`;
        else if (!draft.labels.includes(op.add)) draft.labels = [...draft.labels, op.add];
      } else if (fieldId === 'labels' && typeof op.remove === 'string')
        draft.labels = draft.labels.filter((l) => l !== op.remove);
      else errors[fieldId] = notOnScreen(fieldId);
    }
  }
}

export { NOT_ADF_MESSAGE };
