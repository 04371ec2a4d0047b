// A user's claim rendered from the tenant's pvc or match_pvc template: in the tenant's namespace, binding only the
// user's own volume (a match claim selects it; the service writes that selector), owned by the user.
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { TemplateError } from '../errors.ts';
import { labelValue } from '../kube/names.ts';
import { markOwned, ownerLabels } from '../ownership/ownership.ts';
import { fillHoles } from '../templates/fill.ts';
import { refuseUnsafe, type Unsafe, unsafeMetadata, unsafeName } from '../templates/safety.ts';
import { at } from '../templates/template.ts';
import type { RenderScope } from '../tenants/scope.ts';
import { claimTemplate, triple, type VolumeKey, volumeOwner } from '../volumes/key.ts';
import { unsafeClaimFields } from './safety.ts';

/** The match claim's selector: its own volume by the pv label, and only a volume of the service for this tenant. */
function ownVolumeSelector(scope: RenderScope, value: string, key: VolumeKey): Record<string, string> {
  return { pv: labelValue(value, triple(scope, key)), ...ownerLabels({ tenant: scope.tenant.id }) };
}

/** Renders the tenant's pvc (or, with match, match_pvc) template for key in the tenant's namespace, named `name`. */
export function renderClaim(
  scope: RenderScope,
  key: VolumeKey & { match: boolean },
  name: string,
): V1PersistentVolumeClaim {
  const { tenant, namespace } = scope;
  const t = claimTemplate(tenant, key.match);
  const template = key.match ? 'match_pvc' : 'pvc';
  const problems: Unsafe[] = [
    ...unsafeMetadata(t.metadata, 'metadata'),
    ...unsafeName(name, tenant, 'metadata.name'),
    ...unsafeClaimFields(at(t, 'spec') as Record<string, unknown> | undefined, key.match, scope.claims),
  ];
  refuseUnsafe(tenant, template, problems);
  const claim: V1PersistentVolumeClaim = {
    ...t,
    metadata: { ...t.metadata, namespace, name },
  } as V1PersistentVolumeClaim;
  if (key.match) {
    const selector = at(t, 'spec', 'selector', 'matchLabels', 'pv');
    if (selector === undefined) {
      throw new TemplateError(`Tenant ${tenant.id}'s "match_pvc" template has no spec.selector.matchLabels.pv.`, {
        code: 'TEMPLATE_INVALID',
      });
    }
    const spec = claim.spec!;
    // The same label rule as the volume's own pv label, so that the two always agree.
    const own = ownVolumeSelector(
      scope,
      fillHoles(selector, triple(scope, key), 'match_pvc spec.selector.matchLabels.pv'),
      key,
    );
    claim.spec = { ...spec, selector: { ...spec.selector, matchLabels: { ...spec.selector?.matchLabels, ...own } } };
  }
  return markOwned(claim, volumeOwner(scope, key));
}
