// Refusals made by the API server itself: a ValidatingAdmissionPolicy (CEL) and its binding, as an operator would
// install one, so that tests see real 403s and 422s from Kubernetes rather than imitations.
import { type KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { admin } from './cluster.ts';

export interface Refusal {
  /** Policy and binding name. */
  name: string;
  operation: 'CREATE' | 'DELETE';
  resource: 'persistentvolumes' | 'persistentvolumeclaims';
  /** CEL that must hold for the request to pass, over object (CREATE) or oldObject (DELETE). */
  allowWhen: string;
  /** Forbidden answers 403; otherwise the API server answers 422 Invalid. */
  reason?: 'Forbidden';
}

const group = 'admissionregistration.k8s.io/v1';

/** Installs the refusal; callers wait for it to take effect (it is compiled and synced within a second or two). */
export async function installRefusal(r: Refusal): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(admin().kc);
  await objects.create({
    apiVersion: group,
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: r.name },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: [r.operation], resources: [r.resource] }],
      },
      validations: [
        {
          expression: r.allowWhen,
          message: `${r.name} refuses this request`,
          ...(r.reason ? { reason: r.reason } : {}),
        },
      ],
    },
  } as KubernetesObject);
  await objects.create({
    apiVersion: group,
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: r.name },
    spec: { policyName: r.name, validationActions: ['Deny'] },
  } as KubernetesObject);
}

/** Removes a refusal installed by installRefusal; a missing one is fine. */
export async function removeRefusal(name: string): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(admin().kc);
  for (const kind of ['ValidatingAdmissionPolicyBinding', 'ValidatingAdmissionPolicy']) {
    await objects.delete({ apiVersion: group, kind, metadata: { name } }).catch(() => undefined);
  }
}
