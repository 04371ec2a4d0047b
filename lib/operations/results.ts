// Each student's result, read from the copies themselves: the script's report in its container's termination message;
// a container that ended without one, or a copy that ended before it ran, is a failure with the kubelet's reason; and
// from the students' results, the operation's state.
import type { V1ContainerStatus, V1Job, V1Pod } from '@kubernetes/client-node';
import { finishedAt } from '../copies/status.ts';
import { containerOf } from './plan.ts';
import type { OperationPlan } from './record.ts';
import { type Operation, type StudentResult, type StudentStatus, studentStatuses } from './schemas.ts';
import { parseResult } from './script.ts';

/** What a student's container reports while it has not ended: why it waits, when waiting is news. */
const routineWaits = new Set(['ContainerCreating', 'PodInitializing']);

type Result = Omit<StudentResult, 'username' | 'tag' | 'copy'>;

/** A copy's pod: a Job's newest (its retry under way, or the last it made), as a bare Pod's only one. */
function podOf(pods: V1Pod[]): V1Pod | undefined {
  return [...pods].sort((a, b) =>
    String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? '')),
  )[0];
}

/** The result a student's container status gives. */
function containerResult(status: V1ContainerStatus | undefined, pod: V1Pod, collecting: boolean): Result {
  const terminated = status?.state?.terminated;
  if (terminated) {
    const reported = parseResult(terminated.message);
    if (!reported) {
      const how = `${terminated.reason ?? 'Terminated'}, exit code ${terminated.exitCode}`;
      return {
        status: 'failed',
        reason: { code: 'COPY_ENDED', message: `the copy ended (${how}) before it reported` },
      };
    }
    const { status, files, bytes, kept, late, reason } = reported;
    const late_ = collecting && status === 'copied' && late > 0;
    return {
      status: late_ ? 'late' : status,
      files,
      bytes,
      ...(collecting ? { lateFiles: late } : { kept }),
      ...(reason ? { reason } : {}),
    };
  }
  if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') {
    const why = pod.status.reason ?? 'Failed';
    const message = pod.status.message ?? `the copy ended before this student's part ran`;
    return { status: 'failed', reason: { code: why, message } };
  }
  const waiting = status?.state?.waiting;
  if (waiting?.reason && !routineWaits.has(waiting.reason))
    return { status: 'running', reason: { code: waiting.reason, message: waiting.message ?? '' } };
  // Not placed yet: why the scheduler passes it by (no node with room, a selector no node matches).
  const unscheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  return unscheduled?.reason
    ? { status: 'running', reason: { code: unscheduled.reason, message: unscheduled.message ?? '' } }
    : { status: 'running' };
}

/** A student's result when their copy has no pod: the Job's end, the copy gone, or not yet started. */
function podlessResult(job: V1Job | undefined, isJob: boolean): Result {
  if (isJob && job) {
    if (finishedAt({ ...job, kind: 'Job' }) === undefined) return { status: 'running' };
    const failed = job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
    return {
      status: 'failed',
      reason: { code: failed?.reason ?? 'COPY_ENDED', message: failed?.message ?? 'the copy ended without a pod' },
    };
  }
  return { status: 'failed', reason: { code: 'COPY_DELETED', message: 'the copy was deleted before it reported' } };
}

const stateOf = (summary: Record<StudentStatus, number>): Operation['state'] =>
  summary.running > 0 ? 'Running' : summary.failed > 0 ? 'Failed' : 'Succeeded';

/**
 * The operation as its copies stand: pods and jobs are what lists of the operation's label found (a Job's pods carry
 * it too); a copy the lists miss is running while the operation is young (graceMs: the watch cache may lag), then gone.
 */
export function operationResults(
  plan: OperationPlan,
  listed: { pods: V1Pod[]; jobs: V1Job[] },
  now = Date.now(),
  graceMs = 30_000,
): Operation {
  const young = now - Date.parse(plan.startedAt) < graceMs;
  const copies = new Map(
    plan.copies.map((c) => {
      const pods = listed.pods.filter((p) =>
        c.kind === 'Pod' ? p.metadata?.name === c.name : p.metadata?.labels?.['job-name'] === c.name,
      );
      const job = listed.jobs.find((j) => j.metadata?.name === c.name);
      return [c.name, { kind: c.kind, pod: podOf(pods), job }];
    }),
  );
  const collecting = plan.kind === 'collection';
  const students = plan.students.map((s, index): StudentResult => {
    const who = { username: s.username, tag: s.tag };
    if (s.skipped) return { ...who, status: 'skipped', reason: s.skipped };
    if (s.failed || !s.copy) return { ...who, status: 'failed', ...(s.failed ? { reason: s.failed } : {}) };
    const copy = copies.get(s.copy);
    const { pod, job, kind } = copy ?? { kind: 'Pod' };
    const result = pod
      ? containerResult(
          pod.status?.containerStatuses?.find((c) => c.name === containerOf(index)),
          pod,
          collecting,
        )
      : young && !job
        ? { status: 'running' as const }
        : podlessResult(job, kind === 'Job');
    return { ...who, copy: s.copy, ...result };
  });
  const summary = Object.fromEntries(studentStatuses.map((st) => [st, 0])) as Record<StudentStatus, number>;
  for (const s of students) summary[s.status]++;
  const ends = [...copies.values()].flatMap(({ pod, job }) => {
    const at = pod ? finishedAt({ ...pod, kind: 'Pod' }) : job ? finishedAt({ ...job, kind: 'Job' }) : undefined;
    return at ? [at] : [];
  });
  const state = stateOf(summary);
  return {
    id: plan.id,
    kind: plan.kind,
    state,
    startedAt: plan.startedAt,
    // An operation with nothing to copy (every student skipped) ends as it starts.
    ...(state !== 'Running'
      ? { finishedAt: ends.length > 0 ? new Date(Math.max(...ends)).toISOString() : plan.startedAt }
      : {}),
    summary,
    copies: plan.copies.map((c) => ({ name: c.name, kind: c.kind, students: c.students.length })),
    students,
  };
}
