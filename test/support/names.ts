// Unique usernames per test file, so that files never collide in the shared cluster.
import { randomBytes } from 'node:crypto';

/** A prefix for one test file's usernames, e.g. "pvs-3fa9c1-". */
export function userPrefix(file: string): string {
  return `${file}-${randomBytes(3).toString('hex')}-`;
}
