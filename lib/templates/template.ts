// A tenant template checked to be the skeleton of a Kubernetes object, copied so rendering never changes the tenant.
import { z } from 'zod';
import { TemplateError } from '../errors.ts';
import { type TemplateName, type Tenant, tenantTemplate } from '../tenants/tenant.ts';
import { describeProblems, fieldProblems } from '../validation.ts';

const TemplateObjectSchema = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: z.looseObject({
    name: z.string(),
    namespace: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: z.record(z.string(), z.unknown()).optional(),
});

export type TemplateObject = z.infer<typeof TemplateObjectSchema>;

/** A deep copy of the tenant's template `name`, or 422 TEMPLATE_MISSING / TEMPLATE_INVALID saying what is wrong. */
export function templateObject(tenant: Tenant, name: TemplateName): TemplateObject {
  const parsed = TemplateObjectSchema.safeParse(structuredClone(tenantTemplate(tenant, name)));
  if (!parsed.success) {
    const details = fieldProblems(parsed.error);
    throw new TemplateError(
      `Tenant ${tenant.id}'s "${name}" template is not a Kubernetes object skeleton: ${describeProblems(details)}.`,
      {
        code: 'TEMPLATE_INVALID',
        details,
      },
    );
  }
  return parsed.data;
}

/** The value at a dotted path of obj, if every step is an object. */
export function at(obj: unknown, ...path: (string | number)[]): unknown {
  let cur: unknown = obj;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

/** Checks, without regard to case, that the template's kind is one this route makes; 422 otherwise. */
export function expectKind(tenant: Tenant, template: TemplateName, kind: string, allowed: readonly string[]): void {
  if (!allowed.some((k) => k.toLowerCase() === kind.toLowerCase())) {
    throw new TemplateError(
      `Tenant ${tenant.id}'s "${template}" template makes a ${kind}; this route makes ${allowed.join(' or ')}.`,
      {
        code: 'TEMPLATE_WRONG_KIND',
      },
    );
  }
}
