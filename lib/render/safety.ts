// What a tenant's template may not ask for, refused with 422 before anything is made: the rules of
// deploy/admission-policy.yaml, which the API server enforces on the service's account whatever this code does.
// Checked here too so that a tenant's admin reads which field is wrong instead of the cluster's refusal.
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import { TemplateError } from '../errors.ts';
import type { Tenant } from '../tenants/tenant.ts';

/** A field that breaks a rule, and the rule. */
export interface Unsafe {
  field: string;
  rule: string;
}

const safeVolumeSources = new Set(['persistentVolumeClaim', 'emptyDir', 'configMap', 'downwardAPI']);
const isSet = (value: unknown): boolean => value !== undefined && value !== null;

function containerProblems(container: V1Container, at: string): Unsafe[] {
  const problems: Unsafe[] = [];
  const security = container.securityContext;
  if (security?.privileged === true) problems.push({ field: `${at}.securityContext.privileged`, rule: 'no privileged containers' });
  if ((security?.capabilities?.add ?? []).length > 0) problems.push({ field: `${at}.securityContext.capabilities.add`, rule: 'no added capabilities' });
  (container.ports ?? []).forEach((p, i) => {
    if (p.hostPort) problems.push({ field: `${at}.ports[${i}].hostPort`, rule: 'no host ports' });
  });
  (container.env ?? []).forEach((e, i) => {
    if (isSet(e.valueFrom?.secretKeyRef)) problems.push({ field: `${at}.env[${i}].valueFrom.secretKeyRef`, rule: 'no Secrets' });
  });
  (container.envFrom ?? []).forEach((e, i) => {
    if (isSet(e.secretRef)) problems.push({ field: `${at}.envFrom[${i}].secretRef`, rule: 'no Secrets' });
  });
  return problems;
}

/** Every field of a pod spec, at `at` (e.g. spec or spec.template.spec), outside the safe profile of a copy pod. */
export function unsafePodFields(spec: Partial<V1PodSpec>, at: string): Unsafe[] {
  const problems: Unsafe[] = [];
  for (const host of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (spec[host] === true) problems.push({ field: `${at}.${host}`, rule: 'no host namespaces' });
  }
  (spec.volumes ?? []).forEach((volume, i) => {
    const source = Object.keys(volume).find((k) => k !== 'name' && isSet((volume as unknown as Record<string, unknown>)[k]));
    if (source && !safeVolumeSources.has(source)) {
      problems.push({ field: `${at}.volumes[${i}].${source}`, rule: 'volumes only of kinds persistentVolumeClaim, emptyDir, configMap, downwardAPI' });
    }
  });
  const containers: [V1Container[] | undefined, string][] = [
    [spec.containers, 'containers'],
    [spec.initContainers, 'initContainers'],
  ];
  for (const [list, name] of containers) {
    if (Array.isArray(list)) for (const [i, c] of list.entries()) problems.push(...containerProblems(c ?? {}, `${at}.${name}[${i}]`));
  }
  for (const account of ['serviceAccountName', 'serviceAccount'] as const) {
    if (isSet(spec[account]) && spec[account] !== 'default') problems.push({ field: `${at}.${account}`, rule: "only the namespace's default service account" });
  }
  if (spec.automountServiceAccountToken === true) problems.push({ field: `${at}.automountServiceAccountToken`, rule: 'no service-account token' });
  if (spec.nodeName) problems.push({ field: `${at}.nodeName`, rule: 'placed by the scheduler, not on a named node' });
  return problems;
}

/** Every field of a PV spec that would expose the node's own disks. */
export function unsafeVolumeFields(spec: Record<string, unknown> | undefined): Unsafe[] {
  return (['hostPath', 'local'] as const)
    .filter((k) => isSet(spec?.[k]))
    .map((k) => ({ field: `spec.${k}`, rule: 'volumes on the NFS server, never on a node' }));
}

/** Throws 422 TEMPLATE_UNSAFE naming every unsafe field of tenant's template. */
export function refuseUnsafe(tenant: Tenant, template: string, problems: Unsafe[]): void {
  if (problems.length === 0) return;
  throw new TemplateError(
    `Tenant ${tenant.id}'s "${template}" template asks for what the service never makes: ${problems.map((p) => `${p.field} (${p.rule})`).join(', ')}.`,
    { code: 'TEMPLATE_UNSAFE', details: problems.map((p) => ({ field: p.field, message: p.rule })) },
  );
}
