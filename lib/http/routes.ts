// Every HTTP route: method, path, input schema and answer. The handlers validate with these schemas and the
// OpenAPI document is generated from them, so the two cannot drift apart (a test checks serverless.yml too).
import type { z } from 'zod';
import { ClaimAnswer, CreateClaimBody, DeleteClaimQuery } from '../claims/schemas.ts';
import { Deleted, Health, KubeObject } from '../contract/responses.ts';
import { CopyAnswer, CopyHeaders, CopyQuery, CreateCopyBody } from '../copies/schemas.ts';
import { CopyInventory, CopyInventoryQuery, VolumeInventory, VolumeInventoryQuery } from '../inventory/schemas.ts';
import {
  CollectionBody,
  DistributionBody,
  Operation,
  OperationHeaders,
  OperationQuery,
} from '../operations/schemas.ts';
import {
  ProvisionBody,
  Provisioned,
  RemovalOutcome,
  RosterBody,
  RosterHeaders,
  RosterOutcome,
  RosterRemovalBody,
  Unprovisioned,
  UnprovisionQuery,
} from '../provisioning/schemas.ts';
import {
  Restore,
  RestoreBody,
  Snapshot,
  SnapshotDeleted,
  SnapshotHeaders,
  SnapshotListQuery,
  SnapshotPage,
  SnapshotQuery,
  TakeSnapshotBody,
  Term,
  TermBody,
  TermQuery,
} from '../snapshots/schemas.ts';
import { CreateVolumeBody, VolumeQuery } from '../volumes/schemas.ts';

export interface Route {
  method: 'get' | 'post' | 'delete';
  path: string;
  summary: string;
  query?: z.ZodObject;
  body?: z.ZodObject;
  headers?: z.ZodObject;
  success: {
    status: 200 | 201 | 202;
    schema: z.ZodType;
    /** For a route that answers 201 when it made something and 200 when all was there: which, from the answer. */
    statusOf?: (answer: never) => 200 | 201;
  };
}

export const routes = {
  health: {
    method: 'get',
    path: '/service/v1/health',
    summary: 'Whether the Kubernetes API server is ready',
    success: { status: 200, schema: Health },
  },
  openapi: {
    method: 'get',
    path: '/service/v1/openapi.json',
    summary: 'This document',
    success: { status: 200, schema: KubeObject.partial().passthrough() },
  },
  createVolume: {
    method: 'post',
    path: '/service/v1/volumes/pvs',
    summary: "Create a user's NFS PersistentVolume",
    body: CreateVolumeBody,
    success: { status: 201, schema: KubeObject },
  },
  getVolume: {
    method: 'get',
    path: '/service/v1/volumes/pvs',
    summary: "Read a user's PersistentVolume",
    query: VolumeQuery,
    success: { status: 200, schema: KubeObject },
  },
  deleteVolume: {
    method: 'delete',
    path: '/service/v1/volumes/pvs',
    summary: "Delete a user's PersistentVolume",
    query: VolumeQuery,
    success: { status: 200, schema: Deleted },
  },
  createClaim: {
    method: 'post',
    path: '/service/v1/volumes/pvcs',
    summary: "Create a user's PersistentVolumeClaim",
    body: CreateClaimBody,
    success: { status: 201, schema: KubeObject },
  },
  getClaim: {
    method: 'get',
    path: '/service/v1/volumes/pvcs',
    summary: "Read a user's claim, and why it is not bound",
    query: VolumeQuery,
    success: { status: 200, schema: ClaimAnswer },
  },
  deleteClaim: {
    method: 'delete',
    path: '/service/v1/volumes/pvcs',
    summary: "Delete a user's claim unless pods mount it",
    query: DeleteClaimQuery,
    success: { status: 200, schema: Deleted },
  },
  createCopy: {
    method: 'post',
    path: '/service/v1/pods',
    summary: "Run a copy Pod or Job (the kind of the tenant's pod template)",
    body: CreateCopyBody,
    headers: CopyHeaders,
    success: { status: 201, schema: CopyAnswer },
  },
  getCopy: {
    method: 'get',
    path: '/service/v1/pods',
    summary: "Read a tenant's Pod or Job and its status",
    query: CopyQuery,
    success: { status: 200, schema: CopyAnswer },
  },
  deleteCopy: {
    method: 'delete',
    path: '/service/v1/pods',
    summary: "Delete a tenant's Pod, or Job and its pods",
    query: CopyQuery,
    success: { status: 200, schema: Deleted },
  },
  volumeInventory: {
    method: 'get',
    path: '/service/v1/inventory/volumes',
    summary: "A tenant's volumes and claims by user and tag, with the copies that mount them, a page at a time",
    query: VolumeInventoryQuery,
    success: { status: 200, schema: VolumeInventory },
  },
  copyInventory: {
    method: 'get',
    path: '/service/v1/inventory/pods',
    summary: "A tenant's copies (Pods and Jobs) and their states, a page at a time",
    query: CopyInventoryQuery,
    success: { status: 200, schema: CopyInventory },
  },
  provisionStudent: {
    method: 'post',
    path: '/service/v1/volumes/students',
    summary: "A student's volume and match claim in one call, waiting until the claim is Bound",
    body: ProvisionBody,
    success: {
      status: 201,
      schema: Provisioned,
      statusOf: (answer: { status: string }) => (answer.status === 'created' ? 201 : 200),
    },
  },
  unprovisionStudent: {
    method: 'delete',
    path: '/service/v1/volumes/students',
    summary: "A student's claim, then volume, removed (unless pods mount the claim)",
    query: UnprovisionQuery,
    success: { status: 200, schema: Unprovisioned },
  },
  provisionRoster: {
    method: 'post',
    path: '/service/v1/volumes/rosters',
    summary: "A class's volumes and match claims in one call, with one result per student",
    body: RosterBody,
    headers: RosterHeaders,
    success: { status: 200, schema: RosterOutcome },
  },
  removeRoster: {
    method: 'post',
    path: '/service/v1/volumes/rosters/removals',
    summary: "End of term: a class's claims and volumes removed in one call, with one result per student",
    body: RosterRemovalBody,
    headers: RosterHeaders,
    success: { status: 200, schema: RemovalOutcome },
  },
  startDistribution: {
    method: 'post',
    path: '/service/v1/operations/distributions',
    summary: 'Course material from one folder to every student of a class: one operation, answered at once (202)',
    body: DistributionBody,
    headers: OperationHeaders,
    success: { status: 202, schema: Operation },
  },
  startCollection: {
    method: 'post',
    path: '/service/v1/operations/collections',
    summary: "Every student's work into one folder, a folder each, read-only from them: one operation (202)",
    body: CollectionBody,
    headers: OperationHeaders,
    success: { status: 202, schema: Operation },
  },
  getOperation: {
    method: 'get',
    path: '/service/v1/operations',
    summary: 'A class operation as it stands: its state and, per student, copied, late, skipped or failed',
    query: OperationQuery,
    success: { status: 200, schema: Operation },
  },
  takeSnapshot: {
    method: 'post',
    path: '/service/v1/snapshots',
    summary: "A snapshot of a student's volume: archived into the tenant's snapshot store, answered at once (202)",
    body: TakeSnapshotBody,
    headers: SnapshotHeaders,
    success: { status: 202, schema: Snapshot },
  },
  listSnapshots: {
    method: 'get',
    path: '/service/v1/snapshots',
    summary: "A student's snapshots, newest first, a page at a time",
    query: SnapshotListQuery,
    success: { status: 200, schema: SnapshotPage },
  },
  deleteSnapshot: {
    method: 'delete',
    path: '/service/v1/snapshots',
    summary: "One of a student's snapshots removed, its archive with it",
    query: SnapshotQuery,
    success: { status: 200, schema: SnapshotDeleted },
  },
  restoreSnapshot: {
    method: 'post',
    path: '/service/v1/snapshots/restores',
    summary: "A snapshot back in the student's volume, beside what is there (default) or replacing it (202)",
    body: RestoreBody,
    headers: SnapshotHeaders,
    success: { status: 202, schema: Restore },
  },
  startTerm: {
    method: 'post',
    path: '/service/v1/snapshots/terms',
    summary:
      "End of term: a class's volumes archived, then their claims and volumes removed, a result per student (202)",
    body: TermBody,
    headers: SnapshotHeaders,
    success: { status: 202, schema: Term },
  },
  getTerm: {
    method: 'get',
    path: '/service/v1/snapshots/terms',
    summary: 'An end of term as it stands, carried on: what is archived is removed',
    query: TermQuery,
    success: { status: 200, schema: Term },
  },
} satisfies Record<string, Route>;
