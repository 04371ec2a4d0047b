// What a pod template may hold: a copy is one pod that runs once, by a deadline, in Pod Security baseline and
// stricter where a copy needs nothing, from an allowed image, placed only where the operator allows, and carrying only
// the service's labels. Each rule names the field of the template that breaks it.
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import type { CopySettings } from '../config/settings.ts';
import { isSet, type Unsafe } from '../templates/safety.ts';

/** What a copy running as root needs to copy students' files as they are (owners, modes, times): nothing else. */
export const copyCapabilities = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID'];

/** A Job retries a little, never more (the cluster's policy holds the same). */
export const maxBackoffLimit = 6;

/**
 * What a template's own volumes may be: scratch space and the pod's own data. Claims come from the request's vols only.
 */
const safeVolumeSources = new Set(['emptyDir', 'downwardAPI']);

/** The pod spec fields a copy template may set (everything else is nothing a copy needs, or a way around the rules). */
const podFields = new Set([
  'containers',
  'initContainers',
  'volumes',
  'restartPolicy',
  'activeDeadlineSeconds',
  'terminationGracePeriodSeconds',
  'nodeSelector',
  'affinity',
  'tolerations',
  'topologySpreadConstraints',
  'priorityClassName',
  'priority',
  'securityContext',
  'serviceAccountName',
  'serviceAccount',
  'automountServiceAccountToken',
  'enableServiceLinks',
  'dnsPolicy',
  'hostNetwork',
  'hostPID',
  'hostIPC',
  'hostUsers',
  'os',
  'nodeName',
  // A Job field real MOOP records carry on their Pod template: dropped, never sent.
  'ttlSecondsAfterFinished',
]);

/** The container fields a copy template may set. */
const containerFields = new Set([
  'name',
  'image',
  'imagePullPolicy',
  'command',
  'args',
  'workingDir',
  'env',
  'envFrom',
  'resources',
  'volumeMounts',
  'securityContext',
  'ports',
  'terminationMessagePath',
  'terminationMessagePolicy',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'lifecycle',
  'restartPolicy',
]);

/** The Job spec fields a copy template may set. */
const jobFields = new Set([
  'template',
  'activeDeadlineSeconds',
  'backoffLimit',
  'ttlSecondsAfterFinished',
  'parallelism',
  'completions',
  'completionMode',
]);

/** Longest a copy may take to stop once its deadline passed (the API server's own default for pods). */
export const maxGraceSeconds = 30;

/** A field set that is not in allowed, at `at`: each a problem. */
function unknownFields(obj: object | undefined, allowed: Set<string>, at: string, rule: string): Unsafe[] {
  return Object.entries(obj ?? {})
    .filter(([k, v]) => isSet(v) && !allowed.has(k))
    .map(([k]) => ({ field: `${at}.${k}`, rule }));
}

/** An image as the runtime reads it: busybox:1.28.4 is docker.io/library/busybox:1.28.4. */
export function normalisedImage(image: string): string {
  if (!image.includes('/')) return `docker.io/library/${image}`;
  const first = image.split('/')[0]!;
  return first.includes('.') || first.includes(':') || first === 'localhost' ? image : `docker.io/${image}`;
}

/** Whether image is one of the allowed: under a prefix ending in "/", or that repository with any tag or digest. */
export function imageAllowed(image: string, allowed: readonly string[]): boolean {
  const name = normalisedImage(image);
  return allowed.some((p) =>
    p.endsWith('/') ? name.startsWith(p) : name === p || name.startsWith(`${p}:`) || name.startsWith(`${p}@`),
  );
}

type Security = NonNullable<V1Container['securityContext']> & NonNullable<V1PodSpec['securityContext']>;

/** Pod Security baseline's fields of a pod's or a container's securityContext, and stricter: none a copy needs. */
function securityProblems(security: Partial<Security> | undefined, at: string): Unsafe[] {
  const problems: Unsafe[] = [];
  const unconfined = (type: unknown): boolean => type === 'Unconfined';
  if (unconfined(security?.seccompProfile?.type))
    problems.push({ field: `${at}.seccompProfile.type`, rule: 'no Unconfined seccomp profile' });
  if (unconfined(security?.appArmorProfile?.type))
    problems.push({ field: `${at}.appArmorProfile.type`, rule: 'no Unconfined AppArmor profile' });
  if (isSet(security?.seLinuxOptions)) problems.push({ field: `${at}.seLinuxOptions`, rule: 'no SELinux options' });
  if ((security?.sysctls ?? []).length > 0) problems.push({ field: `${at}.sysctls`, rule: 'no sysctls' });
  if (isSet(security?.procMount) && security?.procMount !== 'Default')
    problems.push({ field: `${at}.procMount`, rule: 'the default procMount' });
  if (security?.windowsOptions?.hostProcess === true)
    problems.push({ field: `${at}.windowsOptions.hostProcess`, rule: 'no host processes' });
  return problems;
}

function containerProblems(container: V1Container, at: string, limits: CopySettings): Unsafe[] {
  const problems: Unsafe[] = [
    ...unknownFields(container, containerFields, at, 'nothing a copy needs'),
    ...securityProblems(container.securityContext, `${at}.securityContext`),
  ];
  const security = container.securityContext;
  if (security?.privileged === true)
    problems.push({ field: `${at}.securityContext.privileged`, rule: 'no privileged containers' });
  if ((security?.capabilities?.add ?? []).some((c) => !copyCapabilities.includes(c))) {
    problems.push({
      field: `${at}.securityContext.capabilities.add`,
      rule: `no capabilities beyond ${copyCapabilities.join(', ')}`,
    });
  }
  (container.ports ?? []).forEach((p, i) => {
    if (p.hostPort) problems.push({ field: `${at}.ports[${i}].hostPort`, rule: 'no host ports' });
  });
  (container.env ?? []).forEach((e, i) => {
    for (const ref of ['secretKeyRef', 'configMapKeyRef'] as const) {
      if (isSet(e.valueFrom?.[ref]))
        problems.push({ field: `${at}.env[${i}].valueFrom.${ref}`, rule: 'no Secrets or ConfigMaps' });
    }
  });
  (container.envFrom ?? []).forEach((e, i) => {
    for (const ref of ['secretRef', 'configMapRef'] as const) {
      if (isSet(e[ref])) problems.push({ field: `${at}.envFrom[${i}].${ref}`, rule: 'no Secrets or ConfigMaps' });
    }
  });
  for (const hook of ['livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle'] as const) {
    if (isSet(container[hook]))
      problems.push({ field: `${at}.${hook}`, rule: 'no probes or lifecycle hooks: their host reaches the node' });
  }
  if (isSet(container.restartPolicy))
    problems.push({ field: `${at}.restartPolicy`, rule: 'a copy runs once: no restartPolicy on containers' });
  if (typeof container.image === 'string' && !imageAllowed(container.image, limits.images)) {
    problems.push({
      field: `${at}.image`,
      rule: `only the images the operator allows (COPY_IMAGES: ${limits.images.join(', ')})`,
    });
  }
  return problems;
}

/** The pod spec's own fields a copy may not hold: the host's namespaces, volume kinds, accounts, nodes. */
function hostProblems(spec: Partial<V1PodSpec>, at: string): Unsafe[] {
  const problems: Unsafe[] = [];
  for (const host of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (spec[host] === true) problems.push({ field: `${at}.${host}`, rule: 'no host namespaces' });
  }
  (spec.volumes ?? []).forEach((volume, i) => {
    const source = Object.keys(volume).find(
      (k) => k !== 'name' && isSet((volume as unknown as Record<string, unknown>)[k]),
    );
    if (source && !safeVolumeSources.has(source)) {
      const rule =
        source === 'persistentVolumeClaim'
          ? "claims only from the request's vols"
          : 'volumes only of kinds emptyDir, downwardAPI';
      problems.push({ field: `${at}.volumes[${i}].${source}`, rule });
    }
  });
  for (const account of ['serviceAccountName', 'serviceAccount'] as const) {
    if (isSet(spec[account]) && spec[account] !== 'default')
      problems.push({ field: `${at}.${account}`, rule: "only the namespace's default service account" });
  }
  if (spec.automountServiceAccountToken === true)
    problems.push({ field: `${at}.automountServiceAccountToken`, rule: 'no service-account token' });
  if (spec.nodeName) problems.push({ field: `${at}.nodeName`, rule: 'placed by the scheduler, not on a named node' });
  return problems;
}

/** How a copy runs and where: once, by a deadline, with the priority and tolerations the operator allows. */
function runProblems(spec: Partial<V1PodSpec>, at: string, limits: CopySettings, kind: 'Pod' | 'Job'): Unsafe[] {
  const problems: Unsafe[] = [];
  const restarts = kind === 'Pod' ? ['Never'] : ['Never', 'OnFailure'];
  if (isSet(spec.restartPolicy) && !restarts.includes(spec.restartPolicy!)) {
    problems.push({ field: `${at}.restartPolicy`, rule: `a copy runs once (${restarts.join(' or ')})` });
  }
  if ((spec.activeDeadlineSeconds ?? 0) > limits.maxActiveDeadlineSeconds) {
    problems.push({
      field: `${at}.activeDeadlineSeconds`,
      rule: `at most ${limits.maxActiveDeadlineSeconds} seconds (JOB_MAX_ACTIVE_DEADLINE_SECONDS)`,
    });
  }
  if ((spec.terminationGracePeriodSeconds ?? 0) > maxGraceSeconds) {
    problems.push({
      field: `${at}.terminationGracePeriodSeconds`,
      rule: `a copy stops within ${maxGraceSeconds} seconds of its deadline`,
    });
  }
  if (isSet(spec.dnsPolicy) && !['ClusterFirst', 'Default'].includes(spec.dnsPolicy!)) {
    problems.push({ field: `${at}.dnsPolicy`, rule: 'ClusterFirst or Default' });
  }
  if (
    isSet(spec.priorityClassName) &&
    spec.priorityClassName !== '' &&
    !limits.priorityClasses.includes(spec.priorityClassName!)
  ) {
    problems.push({
      field: `${at}.priorityClassName`,
      rule: `only the priority classes the operator allows (COPY_PRIORITY_CLASSES)`,
    });
  }
  if (isSet(spec.priority))
    problems.push({ field: `${at}.priority`, rule: 'set by the priority class, never by a template' });
  (spec.tolerations ?? []).forEach((t, i) => {
    const named = `${t.key ?? ''}=${t.value ?? ''}:${t.effect ?? ''}`;
    if ((t.operator ?? 'Equal') !== 'Equal' || isSet(t.tolerationSeconds) || !limits.tolerations.includes(named)) {
      problems.push({
        field: `${at}.tolerations[${i}]`,
        rule: 'only the taints the operator allows (COPY_TOLERATIONS, key=value:Effect)',
      });
    }
  });
  return problems;
}

/** Every field of a pod spec, at `at` (e.g. spec or spec.template.spec), outside the safe profile of a copy. */
export function unsafePodFields(
  spec: Partial<V1PodSpec>,
  at: string,
  limits: CopySettings,
  kind: 'Pod' | 'Job',
): Unsafe[] {
  const problems = [
    ...unknownFields(spec, podFields, at, 'nothing a copy needs'),
    ...hostProblems(spec, at),
    ...runProblems(spec, at, limits, kind),
    ...securityProblems(spec.securityContext, `${at}.securityContext`),
  ];
  const containers: [V1Container[] | undefined, string][] = [
    [spec.containers, 'containers'],
    [spec.initContainers, 'initContainers'],
  ];
  for (const [list, name] of containers) {
    if (Array.isArray(list))
      for (const [i, c] of list.entries()) problems.push(...containerProblems(c ?? {}, `${at}.${name}[${i}]`, limits));
  }
  return problems;
}

/**
 * A template's labels of a pod (or a Job): the service writes its own; another app's would make the copy one of its.
 */
export function unsafeLabels(metadata: { labels?: unknown } | undefined, at: string): Unsafe[] {
  return Object.keys((metadata?.labels as object | undefined) ?? {}).map((key) => ({
    field: `${at}.labels.${key}`,
    rule: "only the service's labels: another app's would make the copy one of its pods",
  }));
}

/** A Job template's own spec: one pod at a time, one completion, a few retries, its own selector. */
export function unsafeJobFields(spec: Record<string, unknown>, limits: CopySettings): Unsafe[] {
  const problems: Unsafe[] = unknownFields(
    spec,
    jobFields,
    'spec',
    'one pod of its own under the Job controller, nothing more',
  );
  for (const field of ['parallelism', 'completions']) {
    if (isSet(spec[field]) && spec[field] !== 1)
      problems.push({ field: `spec.${field}`, rule: 'one pod, one completion' });
  }
  if (typeof spec.backoffLimit === 'number' && spec.backoffLimit > maxBackoffLimit) {
    problems.push({ field: 'spec.backoffLimit', rule: `at most ${maxBackoffLimit} retries` });
  }
  if (isSet(spec.completionMode) && spec.completionMode !== 'NonIndexed')
    problems.push({ field: 'spec.completionMode', rule: 'NonIndexed only' });
  if (typeof spec.activeDeadlineSeconds === 'number' && spec.activeDeadlineSeconds > limits.maxActiveDeadlineSeconds) {
    problems.push({
      field: 'spec.activeDeadlineSeconds',
      rule: `at most ${limits.maxActiveDeadlineSeconds} seconds (JOB_MAX_ACTIVE_DEADLINE_SECONDS)`,
    });
  }
  return problems;
}
