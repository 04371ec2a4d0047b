// What a caller asks to be told, and what it is told: the optional `notify` field of the routes that start work the
// cluster finishes later, and the events the service publishes on EventBridge when that work reaches an end.
import { z } from 'zod';
import { Reason } from '../contract/responses.ts';

export { Notify } from '../contract/fields.ts';

/** The `source` of every event the service publishes. */
export const noticeSource = 'moop.resource-service';

/** The detail-types, one per outcome; `final` ones end the notice, the others are told once and watched on. */
export const noticeTypes = {
  CopySucceeded: { final: true, description: 'A copy Pod or Job finished successfully' },
  CopyFailed: { final: true, description: 'A copy failed: its exit code, deadline, or what kept it from running' },
  CopyStuck: {
    final: false,
    description: 'A copy cannot go on without a change: an image that cannot be pulled, a mount',
  },
  ClaimBound: { final: true, description: 'A claim was bound to its volume' },
  ClaimStillPending: { final: false, description: 'A claim stayed Pending past NOTICE_PENDING_SECONDS' },
  OperationSucceeded: { final: true, description: 'A class operation ended: every student copied, late or skipped' },
  OperationFailed: { final: true, description: 'A class operation ended with at least one student failed' },
  TargetDeleted: { final: true, description: 'What asked to be told was deleted before it reached an end' },
} as const;
export type NoticeType = keyof typeof noticeTypes;

/** An event's detail: what it is about, the caller's id, times, and why, in the routes' {phase, reason, message}. */
export const NoticeDetail = z
  .strictObject({
    eventId: z.string().describe('The same for a duplicate of this event: dedupe on it'),
    tenant: z.string(),
    namespace: z.string(),
    kind: z.enum(['Pod', 'Job', 'PersistentVolumeClaim', 'Operation']),
    name: z.string().describe('The object, or for an operation its id'),
    uid: z.string(),
    correlationId: z.string(),
    username: z.string().optional().describe("For a claim: the student's username"),
    requestedAt: z.string().describe('When the notice was asked for (ISO 8601)'),
    observedAt: z.string().describe('When the service saw the outcome'),
    finishedAt: z.string().optional().describe('When a copy finished'),
    reason: Reason,
  })
  .meta({ id: 'NoticeDetail' });
export type NoticeDetail = z.infer<typeof NoticeDetail>;
