// Inputs and answers of the snapshot routes (/service/v1/snapshots): a student's volume archived, listed, deleted and
// restored. The student is (tenant, username, tag); nothing else a caller sends becomes a path. Unknown fields are
// refused.
import { z } from 'zod';
import { IdempotencyKey, Notify, Tag, TenantId, Username } from '../contract/fields.ts';
import { Continue, Limit } from '../inventory/schemas.ts';

const controlCharacters = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

export const SnapshotId = z
  .string()
  .regex(/^snap-[0-9a-z]{20}$/, 'must be a snapshot id as the service answered it (snap-<20 characters>)');

export const TakeSnapshotBody = z.strictObject({
  tenant: TenantId,
  username: Username,
  tag: Tag,
  note: z
    .string()
    .max(500, 'must be at most 500 characters')
    .refine((s) => !controlCharacters.test(s), 'must not contain control characters')
    .optional()
    .describe('A few words kept with the snapshot, e.g. "before the final"'),
  notify: Notify.describe('Publish an event on EventBridge when the archive is made (CopySucceeded) or fails'),
});
export type TakeSnapshotBody = z.infer<typeof TakeSnapshotBody>;

export const SnapshotListQuery = z.strictObject({
  tenant: TenantId,
  username: Username,
  tag: Tag,
  limit: Limit,
  continue: Continue,
});
export type SnapshotListQuery = z.infer<typeof SnapshotListQuery>;

export const SnapshotQuery = z.strictObject({ tenant: TenantId, username: Username, tag: Tag, id: SnapshotId });
export type SnapshotQuery = z.infer<typeof SnapshotQuery>;

export const RestoreBody = z.strictObject({
  tenant: TenantId,
  username: Username,
  tag: Tag,
  id: SnapshotId,
  mode: z
    .enum(['beside', 'replace'])
    .default('beside')
    .describe(
      'beside (the default): into a new folder restored-<when the snapshot was taken>, nothing overwritten; replace: the volume becomes what it was',
    ),
  notify: Notify.describe('Publish an event on EventBridge when the restore ends (CopySucceeded or CopyFailed)'),
});
export type RestoreBody = z.infer<typeof RestoreBody>;

/** The optional Idempotency-Key header of the snapshot and restore routes. */
export const SnapshotHeaders = z.looseObject({
  'idempotency-key': IdempotencyKey.describe(
    'A retried request with the same key, from the same tenant, answers the first one: one archive, one restore',
  ),
});
export type SnapshotHeaders = z.infer<typeof SnapshotHeaders>;

const Why = z.strictObject({ code: z.string(), message: z.string() });

export const Snapshot = z
  .strictObject({
    id: z.string(),
    username: z.string(),
    tag: z.string(),
    note: z.string().optional(),
    state: z.enum(['Running', 'Succeeded', 'Failed']).describe('Only a Succeeded snapshot is kept and restorable'),
    requestedAt: z.string(),
    takenAt: z.string().optional().describe('When the archive was complete'),
    bytes: z.number().int().optional().describe('Size of the archive (tar, gzip)'),
    files: z.number().int().optional().describe('Files and links archived'),
    copy: z.string().optional().describe('The copy that makes the archive, while it is kept'),
    reason: Why.optional().describe('Why it failed: the archive tool and its exit code'),
  })
  .meta({ id: 'Snapshot' });
export type Snapshot = z.infer<typeof Snapshot>;

export const SnapshotPage = z.strictObject({
  items: z.array(Snapshot).describe('Newest first'),
  continue: z.string().optional(),
});

export const Restore = z.strictObject({
  snapshot: z.string(),
  mode: z.enum(['beside', 'replace']),
  folder: z.string().optional().describe("beside: the folder of the student's volume the files come back in"),
  copy: z
    .strictObject({ name: z.string(), kind: z.enum(['Pod', 'Job']) })
    .describe('Read it with GET /service/v1/pods'),
});
export type Restore = z.infer<typeof Restore>;

export const maxTermSize = 500;

export const TermBody = z.strictObject({
  tenant: TenantId,
  students: z
    .array(z.strictObject({ username: Username, tag: Tag }))
    .min(1, 'must list at least one student')
    .max(maxTermSize, `must list at most ${maxTermSize} students`)
    .refine(
      (students) => new Set(students.map((s) => JSON.stringify([s.username, s.tag]))).size === students.length,
      'must list each student (username, tag) once',
    ),
  force: z.boolean().default(false).describe("Remove a student's claim even while pods mount it"),
});
export type TermBody = z.infer<typeof TermBody>;

export const TermQuery = z.strictObject({
  tenant: TenantId,
  id: z.string().regex(/^term-[0-9a-z]{20}$/, 'must be an end-of-term id as the service answered it'),
});

export const Term = z
  .strictObject({
    id: z.string(),
    state: z.enum(['Running', 'Succeeded', 'Failed']),
    startedAt: z.string(),
    summary: z.strictObject({
      archiving: z.number().int(),
      archived: z.number().int(),
      skipped: z.number().int(),
      failed: z.number().int(),
    }),
    students: z.array(
      z.strictObject({
        username: z.string(),
        tag: z.string(),
        status: z
          .enum(['archiving', 'archived', 'skipped', 'failed'])
          .describe('archived: the snapshot is kept, then the claim and volume removed; failed: the volume stays'),
        snapshot: z.string().optional().describe('Restorable with POST /service/v1/snapshots/restores'),
        claim: z.string().nullable().optional(),
        volume: z.string().nullable().optional(),
        reason: Why.optional(),
      }),
    ),
  })
  .meta({ id: 'Term' });
export type Term = z.infer<typeof Term>;

export const SnapshotDeleted = z.strictObject({
  deleted: z.string().describe('The snapshot removed, its archive with it'),
});
