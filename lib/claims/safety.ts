// What a claim template may hold: a claim binds only the volume the service reserved for it.
import type { ClaimSettings } from '../config/settings.ts';
import { isSet, type Unsafe } from '../templates/safety.ts';

/**
 * Every field of a claim template's spec that would let it bind another volume than its own: a volume by name, a
 * copy of another volume or snapshot, or, for a plain claim, no storage class at all (it would bind any Available
 * volume that fits) or one the operator does not allow. A match claim without a class selects its own volume: the
 * service writes that selector.
 */
export function unsafeClaimFields(
  spec: Record<string, unknown> | undefined,
  match: boolean,
  claims: ClaimSettings,
): Unsafe[] {
  const problems: Unsafe[] = [];
  if (isSet(spec?.volumeName) && spec?.volumeName !== '')
    problems.push({ field: 'spec.volumeName', rule: 'never names a volume: its own is reserved for it' });
  for (const field of ['dataSource', 'dataSourceRef']) {
    if (isSet(spec?.[field]))
      problems.push({ field: `spec.${field}`, rule: 'never filled from another volume or snapshot' });
  }
  const storageClass = isSet(spec?.storageClassName) ? String(spec?.storageClassName) : '';
  const allowed = `the storage classes the operator allows (CLAIM_STORAGE_CLASSES: ${claims.storageClasses.join(', ') || 'none'})`;
  if (storageClass === '' && !match) {
    problems.push({
      field: 'spec.storageClassName',
      rule: `a claim without a class binds any volume that fits: name one of ${allowed}`,
    });
  } else if (storageClass !== '' && !claims.storageClasses.includes(storageClass)) {
    problems.push({ field: 'spec.storageClassName', rule: `only ${allowed}` });
  }
  return problems;
}
