// Inputs of the volume routes: bodies of POST, query strings of GET and DELETE. Unknown fields are refused.
import { z } from 'zod';
import { QueryBoolean, Tag, TenantId, Username, VolumePath } from './fields.ts';

export const CreateVolumeBody = z.strictObject({ tenant: TenantId, username: Username, tag: Tag, path: VolumePath });
export type CreateVolumeBody = z.infer<typeof CreateVolumeBody>;

export const CreateClaimBody = z.strictObject({
  tenant: TenantId,
  username: Username,
  tag: Tag,
  match: z.boolean().default(false).describe('Select the PV of the same tenant, user and tag by its pv label'),
});
export type CreateClaimBody = z.infer<typeof CreateClaimBody>;

export const VolumeQuery = z.strictObject({ tenant: TenantId, username: Username, tag: Tag });
export type VolumeQuery = z.infer<typeof VolumeQuery>;

export const DeleteClaimQuery = VolumeQuery.extend({
  force: QueryBoolean.default(false).describe('Delete even while pods mount the claim'),
});
export type DeleteClaimQuery = z.infer<typeof DeleteClaimQuery>;
