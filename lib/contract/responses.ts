// Shapes of the answers, for the OpenAPI document: Kubernetes objects as the API server gives them, and errors.
import { z } from 'zod';
import { errorCodes } from '../errors.ts';

/** Any Kubernetes object, in the API's own JSON. */
export const KubeObject = z
  .looseObject({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: z.looseObject({ name: z.string() }),
  })
  .meta({ id: 'KubernetesObject' });

/** Why an object is not progressing or failed (kube/events.ts's Reason). */
export const Reason = z.strictObject({
  phase: z.string(),
  reason: z.string(),
  message: z.string(),
  lastSeen: z.string().optional(),
});

export const Deleted = z.strictObject({ deleted: z.string().describe('Name of the deleted object') });

export const Health = z.strictObject({ status: z.literal('ok') });

export const ErrorBody = z
  .strictObject({
    error: z.string().describe('One sentence a person can act on'),
    code: z.enum(errorCodes).describe('Machine-readable code, e.g. TENANT_NOT_FOUND'),
    details: z.unknown().optional().describe('More to say, e.g. which fields failed validation'),
  })
  .meta({ id: 'Error' });
