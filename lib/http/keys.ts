// The callers' keys: one shared key (MOOPKEY, or a secret holding the key as text), or named keys (a secret holding
// a JSON object {"<caller>": "<key>"}), plus, during a Secrets Manager rotation, the previous version's keys. A
// request is matched to its caller in constant time over all keys; logs name the caller, never the key.
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { describeProblems, fieldProblems } from '../validation.ts';

/** A key and whom it belongs to; previous: from the secret's AWSPREVIOUS version, kept working during a rotation. */
export interface CallerKey {
  caller: string;
  key: string;
  previous?: boolean;
}

/** The caller named by a plain, unnamed key. */
export const defaultCaller = 'moop';

const minLength = 12;
const callerName = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const NamedKeys = z
  .record(z.string(), z.string().trim().min(minLength, `each key must be at least ${minLength} characters`))
  .refine((o) => Object.keys(o).length > 0, 'holds no key')
  .superRefine((o, ctx) => {
    for (const name of Object.keys(o).filter((n) => !callerName.test(n))) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: 'caller names are 1 to 64 letters, digits, ".", "_" or "-"',
      });
    }
  });

/** The keys a secret's text (or MOOPKEY) holds: a plain key is the default caller's; a JSON object names each. */
export function parseKeys(text: string, source: string): CallerKey[] {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) {
    if (trimmed.length < minLength)
      throw new ConfigError(`${source} must hold a key of at least ${minLength} characters`);
    return [{ caller: defaultCaller, key: trimmed }];
  }
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    // The parser's message would quote the secret.
    throw new ConfigError(`${source} starts like a JSON object of named keys but is not valid JSON`);
  }
  const parsed = NamedKeys.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(
      `${source} must be a JSON object of caller names to keys: ${describeProblems(fieldProblems(parsed.error, 'object'))}`,
    );
  }
  return Object.entries(parsed.data).map(([caller, key]) => ({ caller, key }));
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** The key presented matches, compared in constant time whatever the lengths (both are hashed first). */
export function keyMatches(presented: string | undefined, expected: string): boolean {
  return presented !== undefined && timingSafeEqual(digest(presented), digest(expected));
}

/** Whose key was presented; every key is compared, so the time taken does not tell which one matched. */
export function findCaller(keys: readonly CallerKey[], presented: string | undefined): CallerKey | undefined {
  let found: CallerKey | undefined;
  for (const k of keys) {
    if (keyMatches(presented, k.key) && !found) found = k;
  }
  return found;
}

/** The key this service itself sends (to MOOP's gateway, with tenant lookups): the default caller's, else the first. */
export function ownKey(keys: readonly CallerKey[]): string {
  const current = keys.filter((k) => !k.previous);
  return (current.find((k) => k.caller === defaultCaller) ?? current[0])!.key;
}
