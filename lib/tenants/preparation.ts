// Preparing a tenant's namespace as the service needs it, with the operator's credentials (the service's own account
// may not touch namespaces or RBAC): the namespace, labelled with the one tenant it belongs to; the service's verbs
// bound there (deploy/rbac.yaml's moop-resource-service-tenant); and the grant that names the tenant, which the
// admission policy checks before the service makes anything for a tenant in a namespace, or reserves a volume for one.
// Idempotent: a rerun changes nothing, and server-side apply puts back what was changed by hand.
import type { KubernetesObject, RbacV1Subject, V1Namespace } from '@kubernetes/client-node';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { ResourceClient } from '../kube/resource-client.ts';
import { tenantLabel } from '../ownership/ownership.ts';
import { type Tenant, tenantNamespace } from './tenant.ts';

/** The name of the service's bindings, and the ClusterRole of its verbs in tenant namespaces (deploy/rbac.yaml). */
const service = 'moop-resource-service';
const verbsRole = 'moop-resource-service-tenant';
/** The Role (and its binding) that names the namespace's tenant: `act-for` on tenants.moop.io/<id>. */
const tenantRole = 'moop-resource-service-tenant';
const podSecurityLabel = 'pod-security.kubernetes.io/enforce';

export interface PreparationReport {
  tenant: string;
  namespace: string;
  /** Whether the namespace was made now (an existing one is labelled). */
  namespaceCreated: boolean;
  /** Each object applied, as "Kind namespace/name". */
  applied: string[];
}

const rbac = 'rbac.authorization.k8s.io/v1';

/** The objects that make namespace the tenant's for the service's subjects. */
export function preparedObjects(tenant: string, namespace: string, subjects: RbacV1Subject[]): KubernetesObject[] {
  const labels = { 'app.kubernetes.io/name': service };
  const objects: (KubernetesObject & Record<string, unknown>)[] = [
    {
      apiVersion: rbac,
      kind: 'RoleBinding',
      metadata: { name: service, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: verbsRole },
      subjects,
    },
    {
      apiVersion: rbac,
      kind: 'Role',
      metadata: { name: tenantRole, namespace, labels },
      rules: [{ apiGroups: ['moop.io'], resources: ['tenants'], resourceNames: [tenant], verbs: ['act-for'] }],
    },
    {
      apiVersion: rbac,
      kind: 'RoleBinding',
      metadata: { name: tenantRole, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: tenantRole },
      subjects,
    },
  ];
  return objects;
}

/**
 * Makes (or labels) the tenant's namespace and grants the service its verbs there for this tenant only. Refused, with
 * nothing changed, when the namespace is already another tenant's: one namespace, one school.
 */
export async function prepareTenant(
  resources: ResourceClient,
  tenant: Tenant,
  subjects: RbacV1Subject[],
): Promise<PreparationReport> {
  const namespace = tenantNamespace(tenant);
  const ref = { apiVersion: 'v1', kind: 'Namespace', name: namespace };
  const existing = await resources.get<V1Namespace>(ref).catch((err: unknown) => {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  });
  const owner = existing?.metadata?.labels?.[tenantLabel];
  // "true" marked a tenant namespace before one belonged to one tenant: it becomes this tenant's.
  if (owner !== undefined && owner !== 'true' && owner !== tenant.id) {
    throw new ConflictError(
      `Namespace ${namespace} belongs to tenant ${owner}; a namespace holds one tenant. Give tenant ${tenant.id} its own.`,
      {
        code: 'NAMESPACE_OF_ANOTHER_TENANT',
      },
    );
  }
  // Pod Security is the namespace's own business (JupyterHub runs there too): baseline where none is set, else the
  // level set stays (applied as it is, so that a rerun changes nothing). The service's admission policy holds its
  // copies to baseline either way.
  const podSecurity = existing?.metadata?.labels?.[podSecurityLabel] ?? 'baseline';
  const labels = { [tenantLabel]: tenant.id, [podSecurityLabel]: podSecurity };
  await resources.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels } });
  const applied = [`Namespace ${namespace}`];
  for (const obj of preparedObjects(tenant.id, namespace, subjects)) {
    await resources.apply(obj);
    applied.push(`${obj.kind} ${namespace}/${obj.metadata!.name}`);
  }
  return { tenant: tenant.id, namespace, namespaceCreated: existing === undefined, applied };
}
