// Inputs of the copy routes (/service/v1/pods): a copy is the Pod or Job the tenant's template makes. Unknown fields
// are refused.
import { posix } from 'node:path';
import { z } from 'zod';
import { IdempotencyKey, MountPath, Notify, ObjectName, PodName, SubPath, TenantId } from '../contract/fields.ts';
import { KubeObject, Reason } from '../contract/responses.ts';

export const maxCopyVolumes = 16;
export const maxWaitSeconds = 25;

export const CopyVolume = z.strictObject({
  pvc: ObjectName.describe("A claim in the tenant's namespace"),
  mount: MountPath,
  subpath: SubPath,
});
export type CopyVolume = z.infer<typeof CopyVolume>;

export const CreateCopyBody = z.strictObject({
  tenant: TenantId,
  cmd: z
    .string()
    .max(8192, 'must be at most 8192 characters')
    .refine((s) => s.trim() !== '', 'must not be empty')
    .refine(
      // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is what this rule is for.
      (s) => !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(s),
      'must not contain control characters other than tab and newline',
    )
    .meta({ description: 'Shell command, run as /bin/sh -c <cmd>', examples: ['cp -r /src/* /dest/'] }),
  vols: z
    .array(CopyVolume)
    .max(maxCopyVolumes, `must hold at most ${maxCopyVolumes} volumes`)
    .default([])
    .refine(
      (vols) => new Set(vols.map((v) => posix.normalize(v.mount).replace(/\/+$/, ''))).size === vols.length,
      'mount paths must be distinct',
    ),
  wait: z
    .number()
    .int('must be a whole number of seconds')
    .min(0)
    .max(maxWaitSeconds, `must be at most ${maxWaitSeconds} seconds (API Gateway answers within 29)`)
    .optional()
    .describe('Seconds to wait for the Job to finish before answering'),
  notify: Notify,
});
export type CreateCopyBody = z.infer<typeof CreateCopyBody>;

export const CopyQuery = z.strictObject({ tenant: TenantId, name: PodName });
export type CopyQuery = z.infer<typeof CopyQuery>;

/** The optional Idempotency-Key header of POST /pods: printable ASCII, as the IETF draft and common APIs take it. */
export const CopyHeaders = z.looseObject({
  'idempotency-key': IdempotencyKey.describe(
    'A retried POST with the same key, from the same tenant, returns the copy the first one made instead of a second copy',
  ),
});
export type CopyHeaders = z.infer<typeof CopyHeaders>;

/** A copy Pod or Job, with why it is stuck or failed when it is. */
export const CopyAnswer = KubeObject.extend({
  statusReason: Reason.optional().describe(
    "Present only when the copy failed or is stuck: from its pods' statuses and events",
  ),
});
