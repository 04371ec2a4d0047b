// The tenant's pod template rendered into what it names, a Pod (every real MOOP tenant record) or a Job (the seeds):
// the command, the claims mounted, limits and retention set.

import { randomBytes } from 'node:crypto';
import type {
  V1Container,
  V1Job,
  V1Pod,
  V1PodSpec,
  V1PodTemplateSpec,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import type { CopySettings } from '../config/settings.ts';
import { TemplateError } from '../errors.ts';
import { objectName, shortHash } from '../kube/names.ts';
import type { ObjectRef } from '../kube/objects.ts';
import { jobKind, podKind } from '../kube/objects.ts';
import { markOwned, ownerLabels } from '../ownership/ownership.ts';
import { fillHoles } from '../templates/fill.ts';
import { refuseUnsafe, unsafeMetadata, unsafeName } from '../templates/safety.ts';
import { expectKind, type TemplateObject, templateObject } from '../templates/template.ts';
import type { RenderScope } from '../tenants/scope.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { copyCapabilities, unsafeJobFields, unsafeLabels, unsafePodFields } from './safety.ts';
import type { CopyVolume } from './schemas.ts';

/** What the copy route makes: a bare Pod or a Job. */
export type CopyObject = V1Pod | V1Job;

/** Where a copy's part writes its result: the container's termination message, which the kubelet keeps. */
export const terminationLog = '/dev/termination-log';

/** Annotation holding a hash of the Idempotency-Key the copy was made with (the key itself is the caller's). */
export const idempotencyAnnotation = 'moop.io/idempotency-key';

/** Annotation holding a hash of the request (cmd and vols) an Idempotency-Key was first used with. */
export const idempotentRequestAnnotation = 'moop.io/idempotent-request';

/** The hash recorded for an Idempotency-Key of tenant. */
export const idempotencyHash = (tenant: string, key: string): string => shortHash(['idempotency-key', tenant, key], 26);

/** The hash recorded for the request an Idempotency-Key was used with: what the copy does, not how long to wait. */
export const requestHash = (input: { cmd: string; vols: CopyVolume[] }): string =>
  shortHash(['request', input.cmd, ...input.vols.map((v) => JSON.stringify([v.pvc, v.mount, v.subpath ?? '']))], 26);

function podTemplate(tenant: Tenant): TemplateObject & { isJob: boolean } {
  const t = templateObject(tenant, 'pod');
  expectKind(tenant, 'pod', t.kind, ['Pod', 'Job']);
  return { ...t, isJob: t.kind.toLowerCase() === 'job' };
}

/**
 * The objects a GET or DELETE of name may mean, the template's kind first: a tenant whose template changed kind
 * keeps reaching what was made before, and the old pod-service's Pods (adopted) are found by their exact name.
 */
export function podRefs({ tenant, namespace }: Pick<RenderScope, 'tenant' | 'namespace'>, name: string): ObjectRef[] {
  const t = podTemplate(tenant);
  const other = t.isJob ? podKind : jobKind;
  return [
    { apiVersion: t.apiVersion, kind: t.kind, name, namespace },
    { ...other, name, namespace },
  ];
}

function firstContainer(tenant: Tenant, spec: Partial<V1PodSpec> | undefined, where: string): V1Container {
  const containers = spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0 || typeof containers[0] !== 'object') {
    throw new TemplateError(`Tenant ${tenant.id}'s "pod" template has no ${where}.containers[0].`, {
      code: 'TEMPLATE_INVALID',
    });
  }
  return containers[0];
}

/** A container as a copy runs it: every capability dropped, only what a root copy needs added back. */
const confined = (c: V1Container): V1Container => ({
  ...c,
  securityContext: { ...c.securityContext, capabilities: { drop: ['ALL'], add: [...copyCapabilities] } },
});

/** A claim mounted into a copy's container; readOnly mounts it so (a source the copy must not change). */
export type CopyMount = CopyVolume & { readOnly?: boolean };

/**
 * One container's share of a copy: its command and claims; for a copy of several parts (one per student), its own
 * name, its environment (the data its command reads) and a termination message the service reads back.
 */
export interface CopyPart {
  name?: string;
  cmd: string;
  env?: Record<string, string>;
  vols: CopyMount[];
}

/** What a copy runs: its parts, one container each, and the claims no part may write to (mounted read-only). */
export interface CopyWork {
  parts: CopyPart[];
  readOnlyClaims?: string[];
}

/** The template's first container running part: its command, environment and mounts; the template's own mounts stay. */
function partContainer(first: V1Container, part: CopyPart, volumeName: (claim: string) => string): V1Container {
  const args =
    Array.isArray(first.args) && first.args.length >= 3 && first.args[2]!.includes('{}')
      ? first.args.map((a, i) => (i === 2 ? fillHoles(a, [part.cmd], 'pod container args[2]') : a))
      : ['/bin/sh', '-c', part.cmd];
  const mounts: V1VolumeMount[] = part.vols.map((v) => ({
    name: volumeName(v.pvc),
    mountPath: v.mount,
    ...(v.subpath ? { subPath: v.subpath } : {}),
    ...(v.readOnly ? { readOnly: true } : {}),
  }));
  const env = part.env ?? {};
  return {
    ...first,
    ...(part.name ? { name: part.name, terminationMessagePath: terminationLog, terminationMessagePolicy: 'File' } : {}),
    args,
    ...(part.env
      ? {
          env: [
            ...(first.env ?? []).filter((e) => !(e.name in env)),
            ...Object.entries(env).map(([name, value]) => ({ name, value })),
          ],
        }
      : {}),
    volumeMounts: [...(first.volumeMounts ?? []), ...mounts],
  };
}

/** The template's pod spec running work, one container per part, every claim mounted once. */
function copySpec(tenant: Tenant, template: Partial<V1PodSpec> | undefined, work: CopyWork, where: string): V1PodSpec {
  const spec = { ...template } as V1PodSpec;
  const first = firstContainer(tenant, spec, where);
  // One volume per distinct claim; a claim may be mounted at several paths (with different subpaths).
  const claims = [...new Set(work.parts.flatMap((p) => p.vols.map((v) => v.pvc)))];
  const readOnly = new Set(work.readOnlyClaims ?? []);
  const volumeName = (claim: string): string => `moop-vol-${claims.indexOf(claim)}`;
  const volumes: V1Volume[] = claims.map((claimName) => ({
    name: volumeName(claimName),
    persistentVolumeClaim: { claimName, ...(readOnly.has(claimName) ? { readOnly: true } : {}) },
  }));
  return {
    ...spec,
    // A copy runs once: without this a bare Pod would default to Always and run the copy forever.
    restartPolicy: spec.restartPolicy ?? 'Never',
    // A copy never talks to the API server: no token in a pod that runs a tenant's command.
    automountServiceAccountToken: false,
    containers: [...work.parts.map((p) => partContainer(first, p, volumeName)), ...spec.containers.slice(1)].map(
      confined,
    ),
    ...(spec.initContainers ? { initContainers: spec.initContainers.map(confined) } : {}),
    volumes: [...(spec.volumes ?? []), ...volumes],
  };
}

/** Everything in the template outside the safe profile of a copy, of either kind. */
function templateProblems(t: TemplateObject & { isJob: boolean }, settings: CopySettings) {
  const problems = [...unsafeMetadata(t.metadata, 'metadata'), ...unsafeLabels(t.metadata, 'metadata')];
  if (!t.isJob) return [...problems, ...unsafePodFields((t.spec ?? {}) as Partial<V1PodSpec>, 'spec', settings, 'Pod')];
  const spec = (t.spec ?? {}) as Record<string, unknown> & { template?: V1PodTemplateSpec };
  const podMetadata = spec.template?.metadata as Record<string, unknown> | undefined;
  return [
    ...problems,
    ...unsafeJobFields(spec, settings),
    ...unsafeMetadata(podMetadata, 'spec.template.metadata'),
    ...unsafeLabels(podMetadata, 'spec.template.metadata'),
    ...unsafePodFields(spec.template?.spec ?? {}, 'spec.template.spec', settings, 'Job'),
  ];
}

/**
 * Renders the pod template for cmd and vols in the scope's namespace; the name is job-<tenant>-<8 characters>, at most
 * 63: random, or, with an idempotency key, derived from it, so that a retried POST names the same object and cannot
 * make a second.
 */
export function renderPod(
  scope: RenderScope,
  input: { cmd: string; vols: CopyVolume[] },
  idempotencyKey?: string,
): CopyObject {
  const { tenant } = scope;
  const random = idempotencyKey
    ? idempotencyHash(tenant.id, idempotencyKey).slice(0, 8)
    : shortHash([randomBytes(16).toString('hex')], 8);
  const annotations = idempotencyKey
    ? {
        [idempotencyAnnotation]: idempotencyHash(tenant.id, idempotencyKey),
        [idempotentRequestAnnotation]: requestHash(input),
      }
    : undefined;
  return renderWork(scope, { parts: [input] }, { random, annotations });
}

/**
 * Renders the pod template running work: named job-<tenant>-<random> (random: 8 characters the caller derives), with
 * the service's annotations and labels beside the owner's (on a Job's pods too, so a list by label finds them).
 */
export function renderWork(
  scope: RenderScope,
  work: CopyWork,
  marks: { random: string; annotations?: Record<string, string>; labels?: Record<string, string> },
): CopyObject {
  const { tenant, namespace, copies: settings } = scope;
  const { isJob, ...template } = podTemplate(tenant);
  refuseUnsafe(tenant, 'pod', templateProblems({ ...template, isJob }, settings));
  // A Job's name becomes its pods' job-name label, so it must be a DNS label; a Pod's may be any subdomain.
  const values = [tenant.id, marks.random];
  const name = objectName(
    fillHoles(template.metadata.name, values, 'pod metadata.name'),
    values,
    isJob ? 'label' : 'subdomain',
    scope.nameKey,
  );
  refuseUnsafe(tenant, 'pod', unsafeName(name, tenant, 'metadata.name'));
  const annotations = marks.annotations
    ? { ...template.metadata.annotations, ...marks.annotations }
    : template.metadata.annotations;
  const labels = marks.labels ?? {};
  const filled = {
    ...template,
    metadata: { ...template.metadata, name, namespace, ...(annotations ? { annotations } : {}) },
  };
  const object = isJob ? renderJob(scope, filled, work, marks) : renderBarePod(scope, filled, work);
  const owned = markOwned(object, { tenant: tenant.id });
  return { ...owned, metadata: { ...owned.metadata, labels: { ...owned.metadata?.labels, ...labels } } };
}

/** A bare Pod from the tenant's pod template, its deadline defaulted from the settings. */
function renderBarePod(scope: RenderScope, template: TemplateObject, work: CopyWork): V1Pod {
  // Real tenant records carry the Job field ttlSecondsAfterFinished on their Pod: the old pod-service's API server
  // dropped it, and a strict one refuses it, so it goes; cleanup retires finished Pods after the retention instead.
  const { ttlSecondsAfterFinished: _ttl, ...podSpec } = (template.spec ?? {}) as Partial<V1PodSpec> & {
    ttlSecondsAfterFinished?: number;
  };
  const spec = copySpec(scope.tenant, podSpec, work, 'spec');
  return {
    ...template,
    spec: { ...spec, activeDeadlineSeconds: spec.activeDeadlineSeconds ?? scope.copies.activeDeadlineSeconds },
  };
}

/**
 * A Job from the tenant's Job template: deadline, retries and retention defaulted; its pods labelled and bounded too.
 */
function renderJob(
  scope: RenderScope,
  template: TemplateObject,
  work: CopyWork,
  marks: { annotations?: Record<string, string>; labels?: Record<string, string> },
): V1Job {
  const settings = scope.copies;
  const jobSpec = (template.spec ?? {}) as unknown as NonNullable<V1Job['spec']>;
  const podTemplateSpec: V1PodTemplateSpec = jobSpec.template ?? {};
  const deadline = jobSpec.activeDeadlineSeconds ?? settings.activeDeadlineSeconds;
  const podSpec = copySpec(scope.tenant, podTemplateSpec.spec, work, 'spec.template.spec');
  return {
    ...template,
    spec: {
      ...jobSpec,
      activeDeadlineSeconds: deadline,
      backoffLimit: jobSpec.backoffLimit ?? settings.backoffLimit,
      // The seed's 0 deleted the Job before anyone could read how it ended; cleanup removes it after retention.
      ttlSecondsAfterFinished: Math.max(
        jobSpec.ttlSecondsAfterFinished ?? settings.retentionSeconds,
        settings.retentionSeconds,
      ),
      template: {
        ...podTemplateSpec,
        // The service's marks on the Job's pods too: lists of pods by label find them, and read what the Job says.
        metadata: {
          ...podTemplateSpec.metadata,
          labels: { ...podTemplateSpec.metadata?.labels, ...ownerLabels({ tenant: scope.tenant.id }), ...marks.labels },
          ...(marks.annotations
            ? { annotations: { ...podTemplateSpec.metadata?.annotations, ...marks.annotations } }
            : {}),
        },
        // The pod's own deadline too: a pod left behind by its Job (orphaned) still ends.
        spec: { ...podSpec, activeDeadlineSeconds: Math.min(podSpec.activeDeadlineSeconds ?? deadline, deadline) },
      },
    },
  };
}
