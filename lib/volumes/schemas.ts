// Inputs of the volume routes: the body of POST, the query string of GET and DELETE (which the claim routes share).
// Unknown fields are refused.
import { z } from 'zod';
import { Tag, TenantId, Username, VolumePath } from '../contract/fields.ts';

export const CreateVolumeBody = z.strictObject({ tenant: TenantId, username: Username, tag: Tag, path: VolumePath });
export type CreateVolumeBody = z.infer<typeof CreateVolumeBody>;

export const VolumeQuery = z.strictObject({ tenant: TenantId, username: Username, tag: Tag });
export type VolumeQuery = z.infer<typeof VolumeQuery>;
