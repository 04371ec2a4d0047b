// Inputs and answers of the claim routes (/service/v1/volumes/pvcs). Unknown fields are refused.
import { z } from 'zod';
import { QueryBoolean, Tag, TenantId, Username } from '../contract/fields.ts';
import { KubeObject, Reason } from '../contract/responses.ts';
import { VolumeQuery } from '../volumes/schemas.ts';

export const CreateClaimBody = z.strictObject({
  tenant: TenantId,
  username: Username,
  tag: Tag,
  match: z.boolean().default(false).describe('Select the PV of the same tenant, user and tag by its pv label'),
});
export type CreateClaimBody = z.infer<typeof CreateClaimBody>;

export const DeleteClaimQuery = VolumeQuery.extend({
  force: QueryBoolean.default(false).describe('Delete even while pods mount the claim'),
});
export type DeleteClaimQuery = z.infer<typeof DeleteClaimQuery>;

/** A claim, with why it is not bound when it is not. */
export const ClaimAnswer = KubeObject.extend({
  pendingReason: Reason.optional().describe('Present only while the claim is not Bound: its latest event'),
});
