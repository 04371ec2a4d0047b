// The tenant's volumes and claims by (user, tag), with the copies that mount each claim, a page at a time; objects
// adopted from the old services after them, a volume paired with the claim it is bound or reserved to (page.ts says
// how pages are read and cut).
import type { KubernetesObject, V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { z } from 'zod';
import { Absence, pendingReason } from '../claims/pending.ts';
import type { CopyObject } from '../copies/render.ts';
import type { Reason } from '../kube/events.ts';
import { claimKind, volumeKind } from '../kube/objects.ts';
import { belongsToTenant, isAdopted, isOwnedBy, ownerSelector } from '../ownership/ownership.ts';
import type { TenantScope } from '../tenants/scope.ts';
import type { VolumeKey } from '../volumes/key.ts';
import { claimsOf, copyState, tenantCopies } from './copies.ts';
import { listedReads } from './listed.ts';
import { compareKeys, cutPage, decodeCursor, listAll, type SortKey } from './page.ts';
import type { VolumeInventory, VolumeInventoryItem, VolumeInventoryQuery } from './schemas.ts';

type Volume = V1PersistentVolume;
type Claim = V1PersistentVolumeClaim;

/** One (user, tag) of the tenant, or one adopted volume with its claim; either side may be missing. */
interface Entry {
  key: VolumeKey | 'adopted';
  volume?: Volume;
  claim?: Claim;
}

/**
 * Whose obj is within tenant: a user and tag as its annotations record them (isOwnedBy confirms the reading), adopted,
 * or nobody's here (another tenant's, unmarked, or marked without a user).
 */
function ownerOf(obj: KubernetesObject, tenant: string): Entry['key'] | undefined {
  if (!belongsToTenant(obj, tenant)) return undefined;
  if (isAdopted(obj)) return 'adopted';
  const annotations = obj.metadata?.annotations ?? {};
  const key = { username: annotations['moop.io/user'] ?? '', tag: annotations['moop.io/tag'] ?? '' };
  return isOwnedBy(obj, { tenant, user: key.username, tag: key.tag }) ? key : undefined;
}

type Owned<T> = { key: VolumeKey; obj: T };

/** The owned objects by (user, tag): a user's volume and claim share an entry (the first of each kind is kept). */
function joinOwned(volumes: Owned<Volume>[], claims: Owned<Claim>[]): Entry[] {
  const entries = new Map<string, Entry>();
  const add = ({ key, obj }: Owned<Volume | Claim>, side: 'volume' | 'claim'): void => {
    const id = JSON.stringify([key.username, key.tag]);
    const entry = entries.get(id) ?? { key };
    if (!entry[side]) Object.assign(entry, { [side]: obj });
    entries.set(id, entry);
  };
  for (const v of volumes) add(v, 'volume');
  for (const c of claims) add(c, 'claim');
  return [...entries.values()];
}

/** Adopted volumes paired with adopted claims: by the volume's claimRef, or the claim's volumeName. */
function joinAdopted(volumes: Volume[], claims: Claim[], namespace: string): Entry[] {
  const unpaired = new Set(volumes);
  const entries: Entry[] = claims.map((claim) => {
    const volume = [...unpaired].find(
      (v) =>
        (v.spec?.claimRef?.name === claim.metadata?.name && v.spec?.claimRef?.namespace === namespace) ||
        claim.spec?.volumeName === v.metadata?.name,
    );
    if (volume) unpaired.delete(volume);
    return { key: 'adopted', volume, claim };
  });
  return [...entries, ...[...unpaired].map((volume): Entry => ({ key: 'adopted', volume }))];
}

/** (username, tag) first; adopted ones after, by the volume's name, else the claim's. */
const sortKey = ({ key, volume, claim }: Entry): SortKey =>
  key === 'adopted'
    ? ['1', volume?.metadata?.name ?? claim?.metadata?.name ?? '', claim?.metadata?.name ?? '']
    : ['0', key.username, key.tag];

/**
 * The tenant's volumes and claims joined into entries; with username, only that user's (so never an adopted one). A
 * volume is cluster-scoped: the tenant's label selects it, its annotations decide, as they do for claims.
 */
async function tenantEntries(scope: TenantScope, username: string | undefined): Promise<Entry[]> {
  const { resources, namespace, tenant } = scope;
  const labelSelector = ownerSelector({ tenant: tenant.id, user: username });
  const [volumes, claims] = await Promise.all([
    listAll<Volume>(resources, volumeKind, { labelSelector }),
    listAll<Claim>(resources, claimKind, { namespace, labelSelector }),
  ]);
  const owned = <T extends KubernetesObject>(objs: T[]): Owned<T>[] =>
    objs.flatMap((obj) => {
      const key = ownerOf(obj, tenant.id);
      return key && key !== 'adopted' && (username === undefined || key.username === username) ? [{ key, obj }] : [];
    });
  const entries = joinOwned(owned(volumes), owned(claims));
  if (username !== undefined) return entries;
  const adopted = <T extends KubernetesObject>(objs: T[]): T[] =>
    objs.filter((o) => ownerOf(o, tenant.id) === 'adopted');
  return [...entries, ...joinAdopted(adopted(volumes), adopted(claims), namespace)];
}

/** The running copies that mount each claim, by the claim's name, in name order. */
function mountedBy(copies: CopyObject[]): Map<string, string[]> {
  const mounts = new Map<string, string[]>();
  const running = copies.filter((c) => copyState(c) === 'running').map((c) => ({ name: c.metadata!.name!, c }));
  for (const { name, c } of running.sort((a, b) => compareKeys([a.name], [b.name]))) {
    for (const claim of claimsOf(c)) mounts.set(claim, [...(mounts.get(claim) ?? []), name]);
  }
  return mounts;
}

type Item = z.infer<typeof VolumeInventoryItem>;
type Explain = (claim: Claim, key: Entry['key']) => Promise<Reason | undefined>;

/** One entry as the route lists it. */
async function itemOf({ key, volume, claim }: Entry, explain: Explain, mounts: Map<string, string[]>): Promise<Item> {
  const claimName = claim?.metadata?.name;
  const reason = claim ? await explain(claim, key) : undefined;
  const user = key === 'adopted' ? { username: null, tag: null } : key;
  return {
    ...user,
    adopted: key === 'adopted',
    volume: volume
      ? {
          name: volume.metadata!.name!,
          phase: volume.status?.phase ?? 'Pending',
          ...(volume.spec?.nfs ? { server: volume.spec.nfs.server, path: volume.spec.nfs.path } : {}),
        }
      : null,
    claim: claim
      ? { name: claimName!, phase: claim.status?.phase ?? 'Pending', ...(reason ? { pendingReason: reason } : {}) }
      : null,
    copies: (claimName && mounts.get(claimName)) || [],
  };
}

/**
 * A page of the tenant's volumes and claims: four lists (volumes, claims, Pods, Jobs), and, if a claim on the page is
 * not Bound, the namespace's claim events listed once and one read per storage class such claims ask for.
 */
export async function listVolumes(
  scope: TenantScope,
  input: VolumeInventoryQuery,
): Promise<z.infer<typeof VolumeInventory>> {
  const after = decodeCursor(input.continue, 3);
  const [entries, { copies }] = await Promise.all([tenantEntries(scope, input.username), tenantCopies(scope)]);
  const page = cutPage(entries, sortKey, after, input.limit);
  const volumes = entries.flatMap((e) => e.volume ?? []);
  const eventSelector = `involvedObject.kind=${claimKind.kind}`;
  const reads = listedReads(scope.resources, { namespace: scope.namespace, volumes, eventSelector });
  const absence = new Absence(reads);
  // An adopted claim's user and tag are unknown, so the volume its selector names cannot be named: it is explained as
  // a claim without a selector is, by the volume controller's own words.
  const explain: Explain = (claim, key) =>
    key === 'adopted'
      ? pendingReason(
          reads,
          scope,
          { username: '', tag: '' },
          { ...claim, spec: { ...claim.spec, selector: undefined } },
          absence,
        )
      : pendingReason(reads, scope, key, claim, absence);
  const mounts = mountedBy(copies);
  return { ...page, items: await Promise.all(page.items.map((e) => itemOf(e, explain, mounts))) };
}
