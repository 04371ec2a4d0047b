// Inputs and answers of the class operations: course material distributed from one folder to a class
// (/service/v1/operations/distributions), students' work collected into one folder (/service/v1/operations/collections),
// and an operation read back (/service/v1/operations). Every path the copies touch is built from these validated
// fields by the service; unknown fields are refused.
import { z } from 'zod';
import { FolderName, IdempotencyKey, Notify, SubPath, Tag, TenantId, Username } from '../contract/fields.ts';

export const maxClassSize = 500;

/** A user's claim, by (username, tag), and a folder in it. */
const Folder = z.strictObject({
  username: Username,
  tag: Tag,
  subpath: SubPath,
});

const Student = z.strictObject({ username: Username, tag: Tag });

const Students = z
  .array(Student)
  .min(1, 'must list at least one student')
  .max(maxClassSize, `must list at most ${maxClassSize} students`)
  .refine(
    (students) => new Set(students.map((s) => s.username)).size === students.length,
    'must list each username once',
  );

/** Where every student's folder is, when one claim holds them all (MOOP's bootstrap makes one per tenant). */
const Shared = Folder.describe(
  "One claim holding every student's folder as <subpath>/<username> (MOOP's super claim); without it, each student's own claim (username, tag)",
);

const StudentFolder = SubPath.describe("The folder in each student's own claim (or in their folder of the shared one)");

export const DistributionBody = z.strictObject({
  tenant: TenantId,
  source: Folder.describe('The folder whose files every student gets: a claim (username, tag) and a subpath in it'),
  students: Students,
  subpath: StudentFolder,
  shared: Shared.optional(),
  mode: z
    .enum(['keep', 'replace'])
    .default('keep')
    .describe("keep (the default): a file a student already has is left as it is; replace: the source's file wins"),
  notify: Notify.describe('Publish an event on EventBridge when the operation ends'),
});
export type DistributionBody = z.infer<typeof DistributionBody>;

export const CollectionBody = z.strictObject({
  tenant: TenantId,
  students: Students,
  subpath: StudentFolder,
  shared: Shared.optional(),
  destination: Folder.describe("Where the work goes: each student's under <subpath>/<assignment>/<username>"),
  assignment: FolderName,
  cutoff: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('Files changed after this time are copied and counted late (ISO 8601)'),
  notify: Notify.describe('Publish an event on EventBridge when the operation ends'),
});
export type CollectionBody = z.infer<typeof CollectionBody>;

export const OperationId = z
  .string()
  .regex(/^op-[0-9a-z]{20}$/, 'must be an operation id as the service answered it (op-<20 characters>)');

export const OperationQuery = z.strictObject({ tenant: TenantId, id: OperationId });
export type OperationQuery = z.infer<typeof OperationQuery>;

/** The optional Idempotency-Key header of the operation routes. */
export const OperationHeaders = z.looseObject({
  'idempotency-key': IdempotencyKey.describe(
    'A retried request with the same key, from the same tenant, answers the operation the first one started',
  ),
});
export type OperationHeaders = z.infer<typeof OperationHeaders>;

export const studentStatuses = ['running', 'copied', 'late', 'skipped', 'failed'] as const;
export type StudentStatus = (typeof studentStatuses)[number];

const Why = z.strictObject({ code: z.string(), message: z.string() });

export const StudentResult = z.strictObject({
  username: z.string(),
  tag: z.string(),
  status: z
    .enum(studentStatuses)
    .describe(
      'running; copied; late (copied, some files changed after the cutoff); skipped (no volume, nothing to copy); failed',
    ),
  copy: z.string().optional().describe('The copy (Pod or Job) that does this student'),
  files: z.number().int().optional().describe('Files (and links) copied'),
  bytes: z.number().int().optional().describe('Bytes copied'),
  kept: z.number().int().optional().describe('Files the student had already, left as they were (mode keep)'),
  lateFiles: z.number().int().optional().describe('Files changed after the cutoff'),
  reason: Why.optional().describe('Why skipped, failed, or (while running) waiting'),
});
export type StudentResult = z.infer<typeof StudentResult>;

export const Operation = z
  .strictObject({
    id: z.string(),
    kind: z.enum(['distribution', 'collection']),
    state: z
      .enum(['Running', 'Succeeded', 'Failed'])
      .describe('Running until every student has a result; then Failed if any student failed, else Succeeded'),
    startedAt: z.string(),
    finishedAt: z.string().optional(),
    summary: z.strictObject(
      Object.fromEntries(studentStatuses.map((s) => [s, z.number().int()])) as Record<StudentStatus, z.ZodNumber>,
    ),
    copies: z.array(z.strictObject({ name: z.string(), kind: z.enum(['Pod', 'Job']), students: z.number().int() })),
    students: z.array(StudentResult),
  })
  .meta({ id: 'Operation' });
export type Operation = z.infer<typeof Operation>;
