// Inputs and answers of the inventory routes (/service/v1/inventory/...): what a tenant has, a page at a time.
// Unknown fields are refused.
import { z } from 'zod';
import { TenantId, Username } from '../contract/fields.ts';
import { Reason } from '../contract/responses.ts';

export const defaultPageSize = 100;
export const maxPageSize = 500;

export const Limit = z.coerce
  .number()
  .int('must be a whole number')
  .min(1)
  .max(maxPageSize, `must be at most ${maxPageSize}`)
  .default(defaultPageSize)
  .describe(`Items in one page (default ${defaultPageSize}, at most ${maxPageSize})`);

export const Continue = z
  .string()
  .min(1, 'must not be empty')
  .max(2048, 'must be at most 2048 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'must be the "continue" of a previous page')
  .optional()
  .describe('The "continue" of the previous page: the next page starts after its last item');

export const VolumeInventoryQuery = z.strictObject({
  tenant: TenantId,
  username: Username.optional().describe(
    "Only this user's volumes and claims (every tag); objects adopted from the old services, whose user is unknown, are then left out",
  ),
  limit: Limit,
  continue: Continue,
});
export type VolumeInventoryQuery = z.infer<typeof VolumeInventoryQuery>;

export const copyStates = ['running', 'succeeded', 'failed'] as const;

export const CopyInventoryQuery = z.strictObject({
  tenant: TenantId,
  state: z
    .enum(copyStates)
    .optional()
    .describe('Only copies in this state: running (not finished, including stuck), succeeded or failed'),
  limit: Limit,
  continue: Continue,
});
export type CopyInventoryQuery = z.infer<typeof CopyInventoryQuery>;

const VolumeItem = z.strictObject({
  name: z.string(),
  phase: z.string().describe('Available, Bound, Released or Failed'),
  server: z.string().optional(),
  path: z.string().optional().describe('The NFS path'),
});

const ClaimItem = z.strictObject({
  name: z.string(),
  phase: z.string().describe('Pending, Bound or Lost'),
  pendingReason: Reason.optional().describe('Present only while the claim is not Bound'),
});

/** One (user, tag) of a tenant: its volume, its claim, and the copies that mount the claim. */
export const VolumeInventoryItem = z.strictObject({
  username: z.string().nullable().describe('null for an object adopted from the old services: its user is unknown'),
  tag: z.string().nullable().describe('null when the user is unknown'),
  adopted: z.boolean().describe('Adopted from the old services (moop.io/adopted)'),
  volume: VolumeItem.nullable().describe('null when the user has no volume'),
  claim: ClaimItem.nullable().describe('null when the user has no claim'),
  copies: z.array(z.string()).describe('Copies (Pods or Jobs) not yet finished that mount the claim'),
});

export const VolumeInventory = z.strictObject({
  items: z.array(VolumeInventoryItem),
  continue: z.string().optional().describe('Present when there are more items: pass it to read the next page'),
});

export const CopyInventoryItem = z.strictObject({
  name: z.string(),
  kind: z.enum(['Pod', 'Job']),
  state: z.enum(copyStates),
  stuck: z.boolean().describe('Running, but waiting will not get it past what statusReason says'),
  createdAt: z.string(),
  finishedAt: z.string().optional(),
  claims: z.array(z.string()).describe('The claims it mounts'),
  statusReason: Reason.optional().describe('Present only when the copy failed or is stuck'),
});

export const CopyInventory = z.strictObject({
  items: z.array(CopyInventoryItem),
  continue: z.string().optional().describe('Present when there are more items: pass it to read the next page'),
});
