// Request fields shared by the routes. Everything outside these shapes is refused with 400 before any lookup.
import { z } from 'zod';

const controlCharacters = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

/** A tenant id as MOOP makes them (ObjectIDs, slugs): letters, digits, '.', '_', '-'. */
export const TenantId = z
  .string()
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, ".", "_" or "-", starting with a letter or digit')
  .meta({ description: 'Tenant id', examples: ['5c88a9ec5b6c2e3c4a3b2d1f'] });

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

export const Username = personField(100, 'MOOP username').meta({ examples: ['alice', 'Élodie M.'] });
export const Tag = personField(63, 'Volume tag; defaults to "default"').meta({ examples: ['default', 'exam'] }).default('default');

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
  .meta({ description: 'Path of the volume below NFS_PREFIX', examples: ['courses/ds101'] });

/** A query-string boolean: exactly "true" or "false". */
export const QueryBoolean = z.enum(['true', 'false']).transform((v) => v === 'true');

const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The name of an object in a namespace, e.g. a claim: a DNS-1123 subdomain. */
export const ObjectName = z.string().min(1, 'must not be empty').max(253, 'must be at most 253 characters').regex(dnsSubdomain, 'must be a Kubernetes object name: lower-case letters, digits, "-" and "."');

/** A Job name as this service makes them: a DNS-1123 label. */
export const JobName = z
  .string()
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters')
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a Job name: lower-case letters, digits and "-"')
  .meta({ description: 'Name of a Job this service made', examples: ['job-5c88a9ec5b6c2e3c4a3b2d1f-abcdefgh'] });

function containerPath(what: string, absolute: boolean) {
  return z
    .string()
    .min(1, 'must not be empty')
    .max(512, 'must be at most 512 characters')
    .refine((s) => !controlCharacters.test(s), 'must not contain control characters or NUL')
    .refine((s) => s.startsWith('/') === absolute, absolute ? 'must be an absolute path' : 'must be a relative path')
    .refine((s) => !s.split('/').includes('..'), 'must not contain ".." segments')
    .refine((s) => s.split('/').some((seg) => seg !== '' && seg !== '.'), absolute ? 'must not be "/"' : 'must name a folder')
    .describe(what);
}

export const MountPath = containerPath('Where the claim is mounted in the container', true);
export const SubPath = containerPath('Folder of the claim to mount instead of its root', false);
