// Adoption of what the old Python services made: their volumes, claims and Pods carry no marks of this service, so
// the routes would not serve them. Run once per tenant with the operator's credentials (the service's own account
// may only change what it made). An object is adopted when the tenant's template names it (`pv-<id>-...`,
// `pvc-<id>-...`, `job-<id>-...`) and it carries no owner marks; anything else is left alone and listed.
import type { KubernetesObject, V1PersistentVolume } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import type { NfsSettings } from '../config/settings.ts';
import { claimKind, jobKind, type Kind, objectLabel, podKind, refOfKind, volumeKind } from '../kube/objects.ts';
import type { ResourceClient } from '../kube/resource-client.ts';
import { adoptionMarks, managedByLabel, markedTenant } from '../ownership/ownership.ts';
import { templateObject } from '../templates/template.ts';
import type { TemplateName, Tenant } from '../tenants/tenant.ts';
import { tenantNamespace } from '../tenants/tenant.ts';
import { normalise } from '../volumes/safety.ts';

export interface AdoptionReport {
  tenant: string;
  namespace: string;
  dryRun: boolean;
  /** "Kind name" (or "Kind namespace/name") of each object adopted, or that would be with dryRun. */
  adopted: string[];
  /** Objects that already carry this service's marks for the tenant: a rerun finds only these. */
  alreadyManaged: string[];
  /** Objects that were looked at and never touched, with why. */
  leftAlone: { object: string; reason: string }[];
  /** Objects that could not be adopted (e.g. changed meanwhile): rerun to try them again. */
  failures: { object: string; error: string }[];
}

const kinds = { volume: volumeKind, claim: claimKind, pod: podKind, job: jobKind };

const describe = (kind: Kind, o: KubernetesObject): string => objectLabel(refOfKind(kind, o));

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The names a template renders for tenant: its first hole is the tenant id, each other hole anything. */
export function templateNamePattern(tenant: Tenant, template: TemplateName): RegExp | undefined {
  if (!tenant.resources?.templates?.[template]) return undefined;
  const parts = templateObject(tenant, template).metadata.name.split('{}');
  const holes = parts.slice(1).map((_, i) => (i === 0 ? escapeRegExp(tenant.id) : '.+'));
  return new RegExp(`^${parts.map((p, i) => escapeRegExp(p) + (holes[i] ?? '')).join('')}$`);
}

async function listAll<T extends KubernetesObject>(
  resources: ResourceClient,
  kind: Kind,
  namespace?: string,
): Promise<T[]> {
  const all: T[] = [];
  for await (const page of resources.pages<T>(kind.apiVersion, kind.kind, { namespace, limit: 500 })) all.push(...page);
  return all;
}

/** Marks each candidate adopted (with dryRun, only reports it), at most eight at a time. */
async function markAdopted(
  resources: ResourceClient,
  candidates: { kind: Kind; obj: KubernetesObject }[],
  marks: ReturnType<typeof adoptionMarks>,
  report: AdoptionReport,
  dryRun: boolean,
): Promise<void> {
  const limit = pLimit(8);
  await Promise.all(
    candidates.map(({ kind, obj }) =>
      limit(async () => {
        const what = describe(kind, obj);
        if (dryRun) return void report.adopted.push(what);
        try {
          // resourceVersion: an object changed since it was listed is not marked blindly; a rerun picks it up.
          // A volume is kept when its claim goes, as the service's own are (the old services' were, by default).
          const spec = kind === kinds.volume ? { spec: { persistentVolumeReclaimPolicy: 'Retain' } } : {};
          await resources.mergePatch(
            { ...kind, name: obj.metadata!.name!, namespace: obj.metadata?.namespace },
            { metadata: { resourceVersion: obj.metadata?.resourceVersion, ...marks }, ...spec },
          );
          report.adopted.push(what);
        } catch (err) {
          report.failures.push({ object: what, error: (err as Error).message });
        }
      }),
    ),
  );
}

/** Why a volume of the old services is not one the service may serve for the tenant: elsewhere than its NFS folder. */
function volumeElsewhere(volume: V1PersistentVolume, namespace: string, nfs: NfsSettings): string | undefined {
  const claimNamespace = volume.spec?.claimRef?.namespace;
  if (claimNamespace && claimNamespace !== namespace) return `bound to a claim in namespace ${claimNamespace}`;
  const source = volume.spec?.nfs;
  if (!source) return 'not an NFS volume';
  if (source.server !== nfs.server) return `on NFS server ${source.server}, not ${nfs.server} (NFS_SERVER)`;
  const prefix = normalise(nfs.prefix);
  const folder = nfs.tenantScope ? `${prefix}/${namespace}` : prefix;
  const path = normalise(source.path);
  if (path.split('/').includes('..') || !(path === folder || path.startsWith(`${folder}/`)) || path === prefix) {
    return `at ${source.path}, outside the tenant's NFS folder ${folder}`;
  }
  return undefined;
}

type Candidate = { kind: Kind; obj: KubernetesObject };

/** Adopts the tenant's objects of the old services (or, with dryRun, reports what it would adopt). */
export async function adoptTenant(
  resources: ResourceClient,
  tenant: Tenant,
  options: { dryRun: boolean; nfs: NfsSettings; now?: Date },
): Promise<AdoptionReport> {
  const namespace = tenantNamespace(tenant);
  const report: AdoptionReport = {
    tenant: tenant.id,
    namespace,
    dryRun: options.dryRun,
    adopted: [],
    alreadyManaged: [],
    leftAlone: [],
    failures: [],
  };
  const candidates: Candidate[] = [];
  const sort = sorter(tenant, report, candidates);
  const leaveAlone = (volume: V1PersistentVolume, reason: string) =>
    report.leftAlone.push({ object: describe(kinds.volume, volume), reason });
  await considerVolumes(resources, tenant, { sort, leaveAlone }, (volume) =>
    volumeElsewhere(volume, namespace, options.nfs),
  );
  await considerInNamespace(resources, tenant, namespace, sort);
  await markAdopted(resources, candidates, adoptionMarks(tenant.id, options.now ?? new Date()), report, options.dryRun);
  for (const list of [report.adopted, report.alreadyManaged]) list.sort();
  report.leftAlone.sort((a, b) => a.object.localeCompare(b.object));
  return report;
}

/**
 * Sorts an object into adopt, already managed, or left alone. named: its name fits the tenant's template for its kind;
 * leftAlone: why it is not, or why it may not be adopted anyway.
 */
type Sort = (kind: Kind, obj: KubernetesObject, named: boolean, whyNot?: string) => void;

function sorter(tenant: Tenant, report: AdoptionReport, candidates: Candidate[]): Sort {
  return (kind, obj, named, whyNot) => {
    const what = describe(kind, obj);
    const marked = markedTenant(obj);
    const manager = obj.metadata?.labels?.[managedByLabel];
    if (marked === tenant.id) return void report.alreadyManaged.push(what);
    if (!named) {
      if (whyNot && marked === undefined) report.leftAlone.push({ object: what, reason: whyNot });
      return;
    }
    if (marked !== undefined)
      return void report.leftAlone.push({ object: what, reason: `marked for tenant ${marked}` });
    if (manager !== undefined) return void report.leftAlone.push({ object: what, reason: `managed by ${manager}` });
    if (whyNot) return void report.leftAlone.push({ object: what, reason: whyNot });
    candidates.push({ kind, obj });
  };
}

/** Volumes are cluster-wide: only those whose name holds the tenant's id are looked at. */
async function considerVolumes(
  resources: ResourceClient,
  tenant: Tenant,
  { sort, leaveAlone }: { sort: Sort; leaveAlone: (volume: V1PersistentVolume, reason: string) => void },
  elsewhere: (volume: V1PersistentVolume) => string | undefined,
) {
  const pv = templateNamePattern(tenant, 'pv');
  for (const volume of await listAll<V1PersistentVolume>(resources, kinds.volume)) {
    const name = volume.metadata?.name ?? '';
    if (!name.includes(tenant.id)) continue;
    if (!pv?.test(name)) leaveAlone(volume, "not named by the tenant's pv template");
    else sort(kinds.volume, volume, true, elsewhere(volume));
  }
}

async function considerInNamespace(resources: ResourceClient, tenant: Tenant, namespace: string, sort: Sort) {
  const claims = [templateNamePattern(tenant, 'pvc'), templateNamePattern(tenant, 'match_pvc')].filter(
    (p) => p !== undefined,
  );
  for (const claim of await listAll(resources, kinds.claim, namespace)) {
    const named = claims.some((p) => p.test(claim.metadata?.name ?? ''));
    sort(kinds.claim, claim, named, named ? undefined : "not named by the tenant's claim templates");
  }
  const pod = templateNamePattern(tenant, 'pod');
  for (const kind of [kinds.pod, kinds.job]) {
    for (const obj of await listAll(resources, kind, namespace)) {
      if (obj.metadata?.ownerReferences?.length) continue; // a Job's pods go with their Job
      const named = !!pod?.test(obj.metadata?.name ?? '');
      sort(kind, obj, named, named ? undefined : "not named by the tenant's pod template");
    }
  }
}
