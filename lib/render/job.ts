// The tenant's pod template rendered into a Job: the command, the claims mounted, limits and retention set.
import type { V1Container, V1Job, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { TemplateError } from '../errors.ts';
import type { ObjectRef } from '../kube/resources.ts';
import { objectName, shortHash } from '../names.ts';
import { markOwned, ownerLabels } from '../owner.ts';
import type { JobVolume } from '../schemas/jobs.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { fillHoles } from './fill.ts';
import { expectKind, templateObject, type TemplateObject } from './template.ts';

/** Limits from configuration, for what the template leaves out. */
export interface JobSettings {
  activeDeadlineSeconds: number;
  backoffLimit: number;
  /** A finished Job is kept at least this long, so that its result can be read. */
  retentionSeconds: number;
}

function jobTemplate(tenant: Tenant): TemplateObject {
  const t = templateObject(tenant, 'pod');
  expectKind(tenant, 'pod', t.kind, ['Job']);
  return t;
}

/** The Job named name in the tenant's namespace, as GET and DELETE look for it. */
export function jobRef(tenant: Tenant, name: string, namespace: string): ObjectRef {
  const t = jobTemplate(tenant);
  return { apiVersion: t.apiVersion, kind: t.kind, name, namespace };
}

function container(tenant: Tenant, t: TemplateObject): V1Container {
  const containers = (t.spec?.template as { spec?: { containers?: unknown } } | undefined)?.spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0 || typeof containers[0] !== 'object') {
    throw new TemplateError(`Tenant ${tenant.id}'s "pod" template has no spec.template.spec.containers[0].`, { code: 'TEMPLATE_INVALID' });
  }
  return containers[0] as V1Container;
}

/** Renders the pod template for cmd and vols in namespace; the name is job-<tenant>-<random>, at most 63 characters. */
export function renderJob(tenant: Tenant, input: { cmd: string; vols: JobVolume[] }, namespace: string, settings: JobSettings): V1Job {
  const t = jobTemplate(tenant);
  const first = container(tenant, t);
  const random = shortHash([randomBytes(16).toString('hex')], 8);
  const name = objectName(fillHoles(t.metadata.name, [tenant.id, random], 'pod metadata.name'), [tenant.id, random]);

  // One volume per distinct claim; a claim may be mounted at several paths (with different subpaths).
  const claims = [...new Set(input.vols.map((v) => v.pvc))];
  const volumeName = (claim: string): string => `moop-vol-${claims.indexOf(claim)}`;
  const volumes: V1Volume[] = claims.map((claimName) => ({ name: volumeName(claimName), persistentVolumeClaim: { claimName } }));
  const mounts: V1VolumeMount[] = input.vols.map((v) => ({ name: volumeName(v.pvc), mountPath: v.mount, ...(v.subpath ? { subPath: v.subpath } : {}) }));

  const args = Array.isArray(first.args) && first.args.length >= 3 && first.args[2]!.includes('{}')
    ? first.args.map((a, i) => (i === 2 ? fillHoles(a, [input.cmd], 'pod container args[2]') : a))
    : ['/bin/sh', '-c', input.cmd];
  const podTemplate = (t.spec?.template ?? {}) as NonNullable<V1Job['spec']>['template'];
  const podSpec = podTemplate.spec!;
  const spec = t.spec as unknown as NonNullable<V1Job['spec']>;
  const ttl = Math.max(spec.ttlSecondsAfterFinished ?? settings.retentionSeconds, settings.retentionSeconds);

  const job: V1Job = {
    apiVersion: t.apiVersion,
    kind: t.kind,
    metadata: { ...t.metadata, name, namespace },
    spec: {
      ...spec,
      activeDeadlineSeconds: spec.activeDeadlineSeconds ?? settings.activeDeadlineSeconds,
      backoffLimit: spec.backoffLimit ?? settings.backoffLimit,
      // The seed's 0 deleted the Job before anyone could read how it ended; cleanup removes it after retention.
      ttlSecondsAfterFinished: ttl,
      template: {
        ...podTemplate,
        metadata: { ...podTemplate.metadata, labels: { ...podTemplate.metadata?.labels, ...ownerLabels({ tenant: tenant.id }) } },
        spec: {
          ...podSpec,
          containers: [
            { ...first, args, volumeMounts: [...(first.volumeMounts ?? []), ...mounts] },
            ...podSpec.containers.slice(1),
          ],
          volumes: [...(podSpec.volumes ?? []), ...volumes],
        },
      },
    },
  };
  return markOwned(job, { tenant: tenant.id });
}
