// Where an EKS cluster named in the settings (EKS_CLUSTER_NAME) is reached: its endpoint and CA, from EKS's
// DescribeCluster, so that nothing about the cluster has to be stored; tokens are minted from the role (eks-token.ts).
// The EKS client is imported when a cluster is first described: a function without EKS never loads it.
import type { Cluster, EKSClient } from '@aws-sdk/client-eks';
import { ConfigError, UnavailableError } from '../errors.ts';
import type { ClusterAccess } from './kubeconfig.ts';

/**
 * Reads the cluster's endpoint and CA; throws ConfigError when there is no such cluster, UnavailableError when EKS
 * cannot be asked.
 */
export async function eksClusterAccess(name: string, client?: EKSClient): Promise<ClusterAccess> {
  const eks = await import('@aws-sdk/client-eks');
  let cluster: Cluster | undefined;
  try {
    cluster = (await (client ?? new eks.EKSClient({})).send(new eks.DescribeClusterCommand({ name }))).cluster;
  } catch (err) {
    const reason = (err as Error).name;
    if (reason === 'ResourceNotFoundException')
      throw new ConfigError(
        `EKS_CLUSTER_NAME names the cluster "${name}", which EKS does not know in this account and region.`,
      );
    throw new UnavailableError(
      `EKS cannot describe the cluster "${name}" (${reason}): the functions' role needs eks:DescribeCluster on it.`,
      {
        code: 'KUBERNETES_UNAVAILABLE',
        cause: err,
      },
    );
  }
  if (!cluster?.endpoint || !cluster.certificateAuthority?.data) {
    throw new UnavailableError(
      `The EKS cluster "${name}" has no endpoint yet (status ${cluster?.status ?? 'unknown'}).`,
      { code: 'KUBERNETES_UNAVAILABLE' },
    );
  }
  return {
    server: cluster.endpoint.replace(/\/+$/, ''),
    ca: Buffer.from(cluster.certificateAuthority.data, 'base64'),
    eks: { cluster: name },
  };
}
