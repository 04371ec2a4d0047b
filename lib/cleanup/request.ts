// What a cleanup run is asked to do: from the schedule, an EventBridge event, or a direct invocation.
import type { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { TenantId } from '../contract/fields.ts';
import { BadRequestError } from '../errors.ts';
import { describeProblems, fieldProblems } from '../validation.ts';

export const VolumePolicy = z.enum(['recycle', 'delete', 'keep']);
export type VolumePolicy = z.infer<typeof VolumePolicy>;

const Overrides = {
  dryRun: z.boolean().default(false),
  /** Overrides CLEANUP_PV_POLICY for this run. */
  pvPolicy: VolumePolicy.optional(),
  /** Overrides JOB_RETENTION_SECONDS for this run, e.g. to clear finished Jobs now. */
  retentionSeconds: z.number().int().min(0).optional(),
};

const Scheduled = z.strictObject({ action: z.literal('scheduled'), ...Overrides });
const TenantRemoved = z.strictObject({
  action: z.literal('tenant-removed'),
  tenant: TenantId,
  dryRun: z.boolean().default(false),
  force: z.boolean().default(false),
});

/** A direct invocation's payload. */
export const CleanupRequest = z.discriminatedUnion('action', [Scheduled, TenantRemoved]);
export type CleanupRequest = z.infer<typeof CleanupRequest>;

// EventBridge wraps events: the schedule sends "Scheduled Event"; MOOP's tenant service sends "TenantRemoved".
const EventBridgeEvent = z.looseObject({ 'detail-type': z.string(), detail: z.unknown().optional() });

/** Parses any event the cleanup function receives into a CleanupRequest, or 400 saying what is wrong. */
export function parseCleanupEvent(event: unknown): CleanupRequest {
  const bridged = EventBridgeEvent.safeParse(event);
  let payload: unknown = event;
  if (bridged.success) {
    const type = bridged.data['detail-type'];
    if (type === 'Scheduled Event') payload = { action: 'scheduled' };
    // An event names only which tenant left: its type alone decides the action, and only a direct invocation (an
    // operator's) may force a removal or change the run's policy.
    else if (type === 'TenantRemoved')
      payload = { action: 'tenant-removed', tenant: (bridged.data.detail as { tenant?: unknown } | undefined)?.tenant };
    else
      throw new BadRequestError(`Cleanup does not handle EventBridge events of type "${type}".`, {
        code: 'INVALID_EVENT',
      });
  }
  const parsed = CleanupRequest.safeParse(payload ?? {});
  if (!parsed.success) {
    const details = fieldProblems(parsed.error, 'event');
    throw new BadRequestError(`Invalid cleanup event: ${describeProblems(details)}.`, {
      code: 'INVALID_EVENT',
      details,
    });
  }
  return parsed.data;
}

/** The answer to an event that can never be run: logged, and dropped rather than retried. */
export interface DroppedEvent {
  dropped: true;
  code: string;
  error: string;
}

/** parseCleanupEvent, with a malformed event logged as an error and answered as dropped instead of thrown. */
export function readCleanupEvent(event: unknown, logger: Logger): CleanupRequest | DroppedEvent {
  try {
    return parseCleanupEvent(event);
  } catch (err) {
    if (!(err instanceof BadRequestError)) throw err;
    logger.error('cleanup event dropped', { code: err.code, error: err.message, details: err.details });
    return { dropped: true, code: err.code, error: err.message };
  }
}
