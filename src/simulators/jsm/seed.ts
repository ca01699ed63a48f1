// `/__sim/seed` for the Jira simulator: projects, users and issues (with comments and
// properties) from JSON, plus a bulk generator for benchmarks. Seeding never fires webhooks.
import { z } from 'zod';
import { adfProblem, textToAdf, type AdfNode } from './adf.js';
import { ISSUE_TYPES, PRIORITIES, RESOLUTIONS, SIMPLE_WORKFLOW, type ProjectDef } from './fixtures.js';
import type { IssueRecord, JiraStore } from './store.js';

const Text = z.union([z.string(), z.record(z.string(), z.unknown())]);
const Instant = z.union([z.string(), z.number()]);

const SeedIssue = z.strictObject({
  project: z.string().default('IT'),
  summary: z.string().min(1),
  description: Text.nullable().optional(),
  status: z.string().optional(),
  priority: z.string().optional(),
  issuetype: z.string().optional(),
  requestType: z.string().optional(),
  resolution: z.string().optional(),
  labels: z.array(z.string()).default([]),
  assignee: z.string().nullable().optional(),
  reporter: z.string().optional(),
  custom: z.record(z.string(), z.unknown()).default({}),
  created: Instant.optional(),
  updated: Instant.optional(),
  properties: z.record(z.string(), z.unknown()).default({}),
  comments: z
    .array(
      z.strictObject({
        body: Text,
        public: z.boolean().default(true),
        author: z.string().optional(),
        created: Instant.optional(),
      }),
    )
    .default([]),
});

const SeedProject = z.strictObject({
  key: z.string().regex(/^[A-Z][A-Z0-9]+$/),
  name: z.string().min(1),
  /** Without a service desk the project is a plain software project with To Do / In Progress / Done. */
  serviceDesk: z.boolean().default(false),
});

const SeedUser = z.strictObject({
  accountId: z.string().min(1),
  displayName: z.string().min(1),
  emailAddress: z.string().default(''),
  accountType: z.enum(['atlassian', 'app', 'customer']).default('atlassian'),
  timeZone: z.string().default('UTC'),
});

export const SeedBody = z.strictObject({
  users: z.array(SeedUser).default([]),
  projects: z.array(SeedProject).default([]),
  issues: z.array(SeedIssue).default([]),
  /** Bulk-generates simple issues (benchmarks, memory checks). */
  generate: z
    .strictObject({ count: z.number().int().min(1).max(200_000), project: z.string().default('IT') })
    .optional(),
});

function instant(v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'number' ? v : Date.parse(v);
}

function adf(v: string | Record<string, unknown>): AdfNode {
  if (typeof v === 'string') return textToAdf(v);
  const problem = adfProblem(v);
  if (problem) throw new Error(`seed: ${problem}`);
  return v as unknown as AdfNode;
}

export function applySeed(
  store: JiraStore,
  input: unknown,
): { issues: { id: string; key: string }[]; projects: string[] } {
  const body = SeedBody.parse(input ?? {});
  for (const u of body.users) store.users.set(u.accountId, { ...u, active: true });
  const projects: string[] = [];
  for (const p of body.projects) {
    if (store.project(p.key)) continue;
    const id = String(10000 + store.projects.size * 10);
    const project: ProjectDef = p.serviceDesk
      ? { ...structuredClone([...store.projects.values()].find((x) => x.serviceDesk)!), id, key: p.key, name: p.name }
      : {
          id,
          key: p.key,
          name: p.name,
          projectTypeKey: 'software',
          issueTypeIds: ['10102'],
          workflow: structuredClone(SIMPLE_WORKFLOW),
        };
    if (project.serviceDesk) project.serviceDesk = { ...project.serviceDesk, id: String(store.projects.size + 1) };
    store.addProject(project);
    projects.push(p.key);
  }
  const created: { id: string; key: string }[] = [];
  const make = (s: z.infer<typeof SeedIssue>): IssueRecord => {
    const project = store.project(s.project);
    if (!project) throw new Error(`seed: unknown project ${s.project}`);
    const byName = <T extends { id: string; name: string }>(
      list: T[],
      name: string | undefined,
      what: string,
    ): T | undefined => {
      if (name === undefined) return undefined;
      const hit = list.find((x) => x.name.toLowerCase() === name.toLowerCase() || x.id === name);
      if (!hit) throw new Error(`seed: unknown ${what} ${name}`);
      return hit;
    };
    const requestType =
      s.requestType === undefined
        ? undefined
        : project.serviceDesk?.requestTypes.find((r) => r.id === s.requestType || r.name === s.requestType);
    if (s.requestType !== undefined && !requestType) throw new Error(`seed: unknown request type ${s.requestType}`);
    const status =
      s.status === undefined ? store.statuses.get(project.workflow.initialStatus)! : store.statusByName(s.status);
    if (!status) throw new Error(`seed: unknown status ${s.status}`);
    const type = byName(ISSUE_TYPES, s.issuetype, 'issue type');
    const createdAt = instant(s.created);
    const updatedAt = instant(s.updated);
    const issue = store.createIssue(
      {
        projectId: project.id,
        issueTypeId: type?.id ?? requestType?.issueTypeId ?? project.issueTypeIds[0]!,
        statusId: status.id,
        priorityId: byName(PRIORITIES, s.priority, 'priority')?.id ?? '3',
        resolutionId:
          byName(RESOLUTIONS, s.resolution, 'resolution')?.id ?? (status.category === 'done' ? '10000' : null),
        summary: s.summary,
        description: s.description === undefined || s.description === null ? null : adf(s.description),
        labels: s.labels,
        assignee: s.assignee ?? null,
        reporter: s.reporter ?? store.self.accountId,
        creator: store.self.accountId,
        requestTypeId: requestType?.id ?? null,
        custom: s.custom,
        ...(createdAt === undefined ? {} : { created: createdAt }),
        ...(updatedAt === undefined ? {} : { updated: updatedAt }),
      },
      store.self.accountId,
      { silent: true, properties: Object.entries(s.properties) },
    );
    for (const c of s.comments) {
      const at = instant(c.created);
      store.addComment(
        issue,
        {
          body: adf(c.body),
          author: c.author ?? store.self.accountId,
          jsdPublic: c.public,
          properties: c.public ? [] : [['sd.public.comment', { internal: true }]],
          ...(at === undefined ? {} : { created: at }),
        },
        { silent: true },
      );
    }
    if (updatedAt !== undefined) issue.updated = updatedAt;
    return issue;
  };
  for (const s of body.issues) {
    const issue = make(s);
    created.push({ id: String(issue.id), key: issue.key });
  }
  if (body.generate) {
    for (let i = 0; i < body.generate.count; i++) {
      // Built directly (no per-issue schema parse): this path seeds 100k issues for benchmarks.
      const issue = make({
        project: body.generate.project,
        summary: `Generated issue ${i + 1}`,
        description: `Body of generated issue ${i + 1}.`,
        labels: [],
        custom: {},
        properties: {},
        comments: [],
      });
      if (created.length < 1000) created.push({ id: String(issue.id), key: issue.key });
    }
  }
  return { issues: created, projects };
}
