// What a tenant's template may not ask for, refused with 422 before anything is made: the rules of
// deploy/admission-policy.yaml, which the API server enforces on the service's account whatever this code does.
// Checked here too so that a tenant's admin reads which field is wrong instead of the cluster's refusal. The rules
// of each kind live beside this file: volume-safety.ts, claim-safety.ts, copy-safety.ts.
import { TemplateError } from '../errors.ts';
import type { Tenant } from '../tenants/tenant.ts';

/** A field that breaks a rule, and the rule. */
export interface Unsafe {
  field: string;
  rule: string;
}

/** Whether a template set a field at all (null is how a JSON template leaves one out). */
export const isSet = (value: unknown): boolean => value !== undefined && value !== null;

/**
 * A template's metadata may not set what another controller acts on: annotations are the service's own (moop.io/*;
 * volume.beta.kubernetes.io/storage-class would choose a claim's class, .../mount-options a volume's mount options),
 * no owners (the garbage collector would delete the object with them), no finalizers, no generated name.
 */
export function unsafeMetadata(metadata: Record<string, unknown> | undefined, at: string): Unsafe[] {
  const problems: Unsafe[] = Object.keys((metadata?.annotations as object | undefined) ?? {})
    .filter((key) => !key.startsWith('moop.io/'))
    .map((key) => ({ field: `${at}.annotations.${key}`, rule: 'only annotations of the service (moop.io/*)' }));
  for (const field of ['ownerReferences', 'finalizers', 'generateName']) {
    if (isSet(metadata?.[field]))
      problems.push({ field: `${at}.${field}`, rule: 'nothing another controller acts on' });
  }
  return problems;
}

/** A name the service makes holds its tenant's id (the templates' first hole): never another app's, e.g. hub-db-dir. */
export function unsafeName(name: string, tenant: Tenant, field: string): Unsafe[] {
  return name.includes(tenant.id) ? [] : [{ field, rule: "names hold the tenant's id, its first {} hole" }];
}

/** Throws 422 TEMPLATE_UNSAFE naming every unsafe field of tenant's template. */
export function refuseUnsafe(tenant: Tenant, template: string, problems: Unsafe[]): void {
  if (problems.length === 0) return;
  throw new TemplateError(
    `Tenant ${tenant.id}'s "${template}" template asks for what the service never makes: ${problems.map((p) => `${p.field} (${p.rule})`).join(', ')}.`,
    { code: 'TEMPLATE_UNSAFE', details: problems.map((p) => ({ field: p.field, message: p.rule })) },
  );
}
