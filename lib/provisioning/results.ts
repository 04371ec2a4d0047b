// A roster's students one by one: each entry checked on its own (a bad username fails only its student), and each
// student's work turned into a result with the status, code and message the single route would have answered.
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { logger } from '../aws/log.ts';
import { Tag, Username, VolumePath } from '../contract/fields.ts';
import { ServiceError } from '../errors.ts';
import { describeProblems, fieldProblems } from '../validation.ts';
import type { VolumeKey } from '../volumes/key.ts';

/** One roster entry: its key and path when valid, else why not. */
export interface Student {
  username: string;
  tag: string;
  key?: VolumeKey;
  path?: string;
  problem?: string;
}

/** A student whose entry is valid, as the work receives it. */
export interface Reached {
  key: VolumeKey;
  path?: string;
}

/** A student's result where the work did not give a value: failed, or not attempted. */
export interface Failure {
  username: string;
  tag: string;
  status: 'failed' | 'not_attempted';
  httpStatus: number;
  code?: string;
  message?: string;
}

/** A student's outcome: the work's value, or the failure in the single route's terms. */
export type Outcome<R> = { result: { username: string; tag: string }; value: R } | { result: Failure; value?: never };

const Entry = z.object({ username: Username, tag: Tag, path: VolumePath.optional() });

/** The roster's entries checked one by one; a (username, tag) listed again is that entry's problem. */
export function students(entries: { username: string; tag?: string; path?: string }[], withPath: boolean): Student[] {
  const seen = new Set<string>();
  return entries.map((entry) => {
    const named = { username: entry.username, tag: entry.tag ?? 'default' };
    const parsed = Entry.safeParse(entry);
    if (!parsed.success) return { ...named, problem: describeProblems(fieldProblems(parsed.error)) };
    const { username, tag, path } = parsed.data;
    const id = JSON.stringify([username, tag]);
    if (seen.has(id)) return { ...named, problem: `${username} (tag ${tag}) is listed twice; the first entry counts.` };
    seen.add(id);
    return withPath && path === undefined
      ? { ...named, problem: 'path: is required' }
      : { ...named, key: { username, tag }, path };
  });
}

const failure = (
  student: Student,
  status: Failure['status'],
  err: ServiceError | undefined,
  fallback: Omit<Failure, 'username' | 'tag' | 'status'>,
): Failure => ({
  username: student.username,
  tag: student.tag,
  status,
  ...(err ? { httpStatus: err.status, code: err.code, message: err.message } : fallback),
});

/** work's promise, or a DEADLINE_EXCEEDED failure when it is still running at finishBy. */
async function byDeadline<R>(work: Promise<R>, finishBy: number): Promise<R | 'late'> {
  const timer = new AbortController();
  const late = sleep(Math.max(0, finishBy - Date.now()), 'late' as const, { signal: timer.signal }).catch(
    () => 'late' as const,
  );
  try {
    return await Promise.race([work, late]);
  } finally {
    timer.abort();
  }
}

/**
 * The student's outcome: a problem with the entry is a 400; a turn that comes after startBefore is not attempted; work
 * still running at finishBy is answered as unknown (504: it may have been made, a resend finds it); a failure is the
 * single route's answer for it.
 */
export async function outcomeOf<R>(
  student: Student,
  times: { startBefore: number; finishBy: number },
  work: (reached: Reached) => Promise<R>,
): Promise<Outcome<R>> {
  if (student.problem !== undefined || !student.key) {
    return {
      result: failure(student, 'failed', undefined, {
        httpStatus: 400,
        code: 'INVALID_REQUEST',
        message: student.problem,
      }),
    };
  }
  if (Date.now() > times.startBefore) {
    const message = "Not attempted: the request's time ran out first; send this student again.";
    return {
      result: failure(student, 'not_attempted', undefined, { httpStatus: 504, code: 'DEADLINE_EXCEEDED', message }),
    };
  }
  try {
    const value = await byDeadline(work({ key: student.key, path: student.path }), times.finishBy);
    if (value === 'late') {
      const message = "Still running when the request's time ran out: it may have been made; send this student again.";
      return { result: failure(student, 'failed', undefined, { httpStatus: 504, code: 'DEADLINE_EXCEEDED', message }) };
    }
    return { result: { username: student.username, tag: student.tag }, value };
  } catch (err) {
    if (err instanceof ServiceError) return { result: failure(student, 'failed', err, { httpStatus: 500 }) };
    logger.error('a roster student failed unexpectedly', { error: err as Error, username: student.username });
    const message = 'The service failed unexpectedly on this student; see its log.';
    return { result: failure(student, 'failed', undefined, { httpStatus: 500, code: 'INTERNAL', message }) };
  }
}
