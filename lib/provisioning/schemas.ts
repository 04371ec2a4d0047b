// Inputs and answers of the provisioning routes: one student's storage (/service/v1/volumes/students) and a class's
// (/service/v1/volumes/rosters). A roster's entries are checked one by one, so that one student's bad username fails
// only that student. Unknown fields are refused.
import { z } from 'zod';
import { IdempotencyKey, Notify, QueryBoolean, Tag, TenantId, Username, VolumePath } from '../contract/fields.ts';
import { KubeObject, Reason } from '../contract/responses.ts';
import { VolumeQuery } from '../volumes/schemas.ts';

export const maxRosterSize = 500;
export const maxProvisionWaitSeconds = 25;
export const defaultProvisionWaitSeconds = 10;

const Wait = z
  .number()
  .int('must be a whole number of seconds')
  .min(0)
  .max(maxProvisionWaitSeconds, `must be at most ${maxProvisionWaitSeconds} seconds (API Gateway answers within 29)`)
  .default(defaultProvisionWaitSeconds)
  .describe(
    `Seconds to wait for the claims to be Bound (default ${defaultProvisionWaitSeconds}); never past the invocation's time`,
  );

export const ProvisionBody = z.strictObject({
  tenant: TenantId,
  username: Username,
  tag: Tag,
  path: VolumePath,
  wait: Wait,
  notify: Notify.describe("Publish an event on EventBridge when the student's claim is Bound (or stays Pending)"),
});
export type ProvisionBody = z.infer<typeof ProvisionBody>;

export const UnprovisionQuery = VolumeQuery.extend({
  force: QueryBoolean.default(false).describe('Remove even while pods mount the claim'),
});
export type UnprovisionQuery = z.infer<typeof UnprovisionQuery>;

/** One student's storage: what the call found or made, and whether the claim is Bound to the volume. */
export const Provisioned = z.strictObject({
  status: z
    .enum(['created', 'existing'])
    .describe('created: this call made the volume or the claim; existing: both were there'),
  bound: z.boolean().describe('The claim is Bound to the volume'),
  volume: KubeObject,
  claim: KubeObject.extend({ pendingReason: Reason.optional() }),
});

export const Unprovisioned = z.strictObject({
  claim: z.string().nullable().describe('The claim removed; null when there was none'),
  volume: z.string().nullable().describe('The volume removed; null when there was none'),
});

// A roster's entries: strings, each checked on its own (Username, Tag, VolumePath) when its turn comes.
const Entry = { username: z.string().max(1024).describe('MOOP username'), tag: z.string().max(1024).optional() };

export const RosterBody = z.strictObject({
  tenant: TenantId,
  students: z
    .array(z.strictObject({ ...Entry, path: z.string().max(2048).describe('Path of the volume below NFS_PREFIX') }))
    .min(1, 'must list at least one student')
    .max(maxRosterSize, `must list at most ${maxRosterSize} students`),
  wait: Wait,
  notify: Notify.describe("Publish an event on EventBridge as each student's claim is Bound (or stays Pending)"),
});
export type RosterBody = z.infer<typeof RosterBody>;

export const RosterRemovalBody = z.strictObject({
  tenant: TenantId,
  students: z
    .array(z.strictObject(Entry))
    .min(1, 'must list at least one student')
    .max(maxRosterSize, `must list at most ${maxRosterSize} students`),
  force: z.boolean().default(false).describe('Remove even while pods mount the claims'),
});
export type RosterRemovalBody = z.infer<typeof RosterRemovalBody>;

/** The optional Idempotency-Key header of the roster routes. */
export const RosterHeaders = z.looseObject({
  'idempotency-key': IdempotencyKey.describe(
    "A retried request with the same key, from the same tenant, answers the first one's outcome",
  ),
});
export type RosterHeaders = z.infer<typeof RosterHeaders>;

const Result = {
  username: z.string(),
  tag: z.string(),
  httpStatus: z.number().int().describe('The status the single route would have answered for this student'),
  code: z.string().optional().describe('Why it failed: an error code of the single routes'),
  message: z.string().optional(),
};

export const RosterOutcome = z.strictObject({
  summary: z.strictObject({
    created: z.number().int(),
    existing: z.number().int(),
    failed: z.number().int(),
    notAttempted: z.number().int(),
  }),
  results: z.array(
    z.strictObject({
      ...Result,
      status: z.enum(['created', 'existing', 'failed', 'not_attempted']),
      volume: z.string().optional(),
      claim: z.string().optional(),
      bound: z.boolean().optional(),
    }),
  ),
});
export type RosterOutcome = z.infer<typeof RosterOutcome>;

export const RemovalOutcome = z.strictObject({
  summary: z.strictObject({
    removed: z.number().int(),
    absent: z.number().int(),
    failed: z.number().int(),
    notAttempted: z.number().int(),
  }),
  results: z.array(
    z.strictObject({
      ...Result,
      status: z.enum(['removed', 'absent', 'failed', 'not_attempted']),
      volume: z.string().nullable().optional(),
      claim: z.string().nullable().optional(),
    }),
  ),
});
export type RemovalOutcome = z.infer<typeof RemovalOutcome>;
