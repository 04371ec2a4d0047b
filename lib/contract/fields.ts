// Request fields shared by the routes. Everything outside these shapes is refused with 400 before any lookup.
import { z } from 'zod';

const controlCharacters = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

/** A tenant id as MOOP's tenant service makes them: a MongoDB ObjectId, 24 lower-case hex digits. */
export const TenantId = z
  .string()
  .regex(/^[0-9a-f]{24}$/, 'must be a MOOP tenant id: 24 lower-case hexadecimal digits (a MongoDB ObjectId)')
  .meta({ description: 'Tenant id (MongoDB ObjectId)', examples: ['5c88a9ec5b6c2e3c4a3b2d1f'] });

// Letters and digits of any script, with spaces and . _ @ + - inside: no path separators, no shell metacharacters.
const person = /^[\p{L}\p{N}][\p{L}\p{N}\p{M} ._@+-]*$/u;

function personField(max: number, what: string) {
  return z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .regex(person, `must start with a letter or digit and hold only letters, digits, spaces and . _ @ + -`)
    .refine((s) => !s.includes('..'), 'must not contain ".."')
    .refine((s) => s.trim() === s, 'must not start or end with a space')
    .describe(what);
}

/** A folder name a caller chooses, e.g. an assignment's: the same letters as a username, one path segment. */
export const FolderName = personField(100, 'A folder name: one path segment');
export const Username = personField(100, 'MOOP username').meta({ examples: ['alice', 'Élodie M.'] });
export const Tag = personField(63, 'Volume tag; defaults to "default"')
  .meta({ examples: ['default', 'exam'] })
  .default('default');

/** A path inside the NFS prefix: relative, no '..' segment, no control characters. */
export const VolumePath = z
  .string()
  .min(1, 'must not be empty')
  .max(1024, 'must be at most 1024 characters')
  .refine((s) => !controlCharacters.test(s), 'must not contain control characters or NUL')
  .refine((s) => !s.startsWith('/'), 'must be relative to the NFS prefix (no leading "/")')
  .refine((s) => !s.includes('\\'), 'must use "/" as separator')
  .refine((s) => !s.split('/').includes('..'), 'must not contain ".." segments')
  .refine((s) => s.split('/').some((seg) => seg !== '' && seg !== '.'), 'must name a folder below the prefix')
  .meta({
    description:
      "Path of the volume below NFS_PREFIX: the tenant's namespace or below it, unless NFS_TENANT_SCOPE=false",
    examples: ['demo-university/ds101'],
  });

/** A query-string boolean: exactly "true" or "false". */
export const QueryBoolean = z.enum(['true', 'false']).transform((v) => v === 'true');

const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The name of an object in a namespace, e.g. a claim: a DNS-1123 subdomain. */
export const ObjectName = z
  .string()
  .min(1, 'must not be empty')
  .max(253, 'must be at most 253 characters')
  .regex(dnsSubdomain, 'must be a Kubernetes object name: lower-case letters, digits, "-" and "."');

/**
 * A Pod or Job name: any DNS-1123 subdomain, so the old pod-service's 65-character `job-<tenant>-<uuid4>` names pass.
 */
export const PodName = ObjectName.meta({
  description: 'Name of a Pod or Job this service made (or adopted)',
  examples: [
    'job-5c88a9ec5b6c2e3c4a3b2d1f-abcdefgh',
    'job-5c88a9ec5b6c2e3c4a3b2d1f-0b9a4a36-2f0c-4c8e-9a59-3f1f7c1d2e4b',
  ],
});

const pathRules = (absolute: boolean): [(s: string) => boolean, string][] => [
  [(s) => s.length <= 512, 'must be at most 512 characters'],
  [(s) => !controlCharacters.test(s), 'must not contain control characters or NUL'],
  [(s) => s.startsWith('/') === absolute, absolute ? 'must be an absolute path' : 'must be a relative path'],
  [(s) => !s.split('/').includes('..'), 'must not contain ".." segments'],
  [(s) => s.split('/').some((seg) => seg !== '' && seg !== '.'), absolute ? 'must not be "/"' : 'must name a folder'],
];

export const MountPath = pathRules(true)
  .reduce((schema, [rule, message]) => schema.refine(rule, message), z.string().min(1, 'must not be empty'))
  .describe('Where the claim is mounted in the container');

/** A subpath as callers send it: `""` and `null` (the launcher always sends the field) mean the claim's root. */
export const SubPath = pathRules(false)
  .reduce((schema, [rule, message]) => schema.refine((s) => !s || rule(s), message), z.string().nullable())
  .transform((s) => s || undefined)
  .optional()
  .describe('Folder of the claim to mount instead of its root; "" or null: the root');

/** The `notify` field: ask to be told on EventBridge when the work ends, with the caller's own correlation id. */
export const Notify = z
  .strictObject({
    id: z
      .string()
      .min(1, 'must not be empty')
      .max(128, 'must be at most 128 characters')
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
      .describe("The caller's correlation id, carried in the event's detail"),
  })
  .optional()
  .describe('Publish an event on EventBridge when this reaches an end (README, Completion notices)');
export type Notify = z.infer<typeof Notify>;

/** An Idempotency-Key header's value: printable ASCII, as the IETF draft and common APIs take it. */
export const IdempotencyKey = z
  .string()
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
  .optional();
