// Kubernetes names and label values from user-supplied strings.
//
// A rendered name that is already valid is used unchanged, so callers who compute the seeds' names keep working:
// PersistentVolume, claim and Pod names are DNS-1123 subdomains (lower-case letters, digits, '-' and '.', at most
// 253 characters), so `pvc-<id>-john.doe-default` stays as it is; a Job's name must be a DNS-1123 label (no '.',
// at most 63), since it becomes the value of its pods' `job-name` label. Any other name is escaped:
// lower-cased, accents dropped, each run of other characters turned into '-', cut to 52 characters, then
// '-' and 10 base32 characters of an HMAC-SHA-256, keyed with the operator's NAME_KEY, of the raw values that went
// into it. Two different (tenant, username, tag) therefore never share an escaped name, and nobody without the key
// can pick a username whose valid name equals another's escaped one (to block it, or to be bound its volume).
// Names escaped before the key existed ended in a plain SHA-256 (`legacy`): they are still found, never made anew.
import { createHash, createHmac } from 'node:crypto';

export const maxNameLength = 63;
const maxSubdomainLength = 253;
const hashLength = 10;
const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelValuePattern = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** True when s can be a namespace, a Job's name, or any DNS-1123 label. */
export function isDnsLabel(s: string): boolean {
  return s.length <= maxNameLength && dnsLabel.test(s);
}

/** True when s can be the name of a PersistentVolume, a claim or a Pod: a DNS-1123 subdomain. */
export function isDnsSubdomain(s: string): boolean {
  return s.length <= maxSubdomainLength && dnsSubdomain.test(s);
}

/** Which names an object kind takes: most kinds a DNS-1123 subdomain, a Job a DNS-1123 label. */
export type NameRule = 'subdomain' | 'label';

/** Lower-case base32 (RFC 4648 alphabet) of the SHA-256 of the values, joined unambiguously (HMAC-SHA-256 with key). */
export function shortHash(values: readonly string[], length = hashLength, key?: string): string {
  const digest = (key === undefined ? createHash('sha256') : createHmac('sha256', key))
    .update(JSON.stringify(values))
    .digest();
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let acc = 0;
  let out = '';
  for (const byte of digest) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += alphabet[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length >= length) break;
  }
  return out;
}

function slug(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Whether rendered is used as it is under rule: a valid name is never escaped. */
export const isValidName = (rendered: string, rule: NameRule = 'subdomain'): boolean =>
  rule === 'subdomain' ? isDnsSubdomain(rendered) : isDnsLabel(rendered);

/**
 * The rendered name if it is valid under rule, otherwise its escaped form ending in a hash of the raw values it came
 * from: keyed with `key` (the operator's NAME_KEY), or, with `legacy`, the plain hash of names made before the key.
 */
export function objectName(
  rendered: string,
  values: readonly string[],
  rule: NameRule,
  key: string | { legacy: true },
): string {
  if (isValidName(rendered, rule)) return rendered;
  const head = slug(rendered)
    .slice(0, maxNameLength - hashLength - 1)
    .replace(/-+$/, '');
  return `${head || 'x'}-${shortHash(values, hashLength, typeof key === 'string' ? key : undefined)}`;
}

/**
 * value itself if it is a valid label value, otherwise its escaped form keyed by values (labels select; annotations
 * keep raw values).
 */
export function labelValue(value: string, values: readonly string[] = [value]): string {
  if (value.length <= maxNameLength && labelValuePattern.test(value)) return value;
  // Label values select (annotations decide who owns what), so they keep the plain hash: no name depends on them.
  return objectName(value, values, 'label', { legacy: true });
}
