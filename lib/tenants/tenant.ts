// A MOOP tenant as the tenant service describes it, and the namespace its objects live in.
import { z } from 'zod';
import { TemplateError } from '../errors.ts';
import { isDnsLabel } from '../kube/names.ts';

const TemplateSchema = z.record(z.string(), z.unknown());

const Templates = z.looseObject({
  pv: TemplateSchema.optional(),
  pvc: TemplateSchema.optional(),
  match_pvc: TemplateSchema.optional(),
  pod: TemplateSchema.optional(),
});

/**
 * The tenant service's answer (`activated, createdAt, id, limit, logo, name, namespace, remark, resources, updatedAt`);
 * fields this service does not read are kept but not checked. `resources` is stored as the tenant was made: `{}`
 * without templates, and a list in older records, which holds no templates either.
 */
export const TenantSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().nullish(),
  namespace: z.string().nullish(),
  resources: z
    .union([
      z.array(z.unknown()).transform((): { templates?: null } => ({})),
      z.looseObject({ templates: Templates.nullish() }),
    ])
    .nullish(),
});

export type Tenant = z.infer<typeof TenantSchema>;
export type TemplateName = 'pv' | 'pvc' | 'match_pvc' | 'pod';

// Namespaces of the cluster itself and of this service: a tenant record naming one of them is refused.
const reservedNamespace = /^(kube-.*|default|moop-system)$/;

/** The tenant's namespace: its `namespace`, or its id as the older pod-service did; 422 if unusable. */
export function tenantNamespace(tenant: Tenant): string {
  const namespace = tenant.namespace || tenant.id;
  if (!isDnsLabel(namespace)) {
    throw new TemplateError(
      `Tenant ${tenant.id} names namespace "${namespace}", which is not a valid Kubernetes namespace name.`,
      {
        code: 'TENANT_NAMESPACE_INVALID',
      },
    );
  }
  if (reservedNamespace.test(namespace)) {
    throw new TemplateError(`Tenant ${tenant.id} names namespace "${namespace}", which is reserved for the cluster.`, {
      code: 'TENANT_NAMESPACE_RESERVED',
    });
  }
  return namespace;
}

/** The tenant's template of that name, or 422 TEMPLATE_MISSING. */
export function tenantTemplate(tenant: Tenant, name: TemplateName): Record<string, unknown> {
  const template = tenant.resources?.templates?.[name];
  if (!template) {
    throw new TemplateError(`Tenant ${tenant.id} has no "${name}" template in resources.templates.`, {
      code: 'TEMPLATE_MISSING',
    });
  }
  return template;
}
