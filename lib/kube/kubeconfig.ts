// The one place that knows how a kubeconfig is loaded.
import { KubeConfig } from '@kubernetes/client-node';

/** Where the cluster's credentials come from: a file, a kubeconfig document (e.g. from a secret), or the pod's service account. */
export type KubeconfigSource = { file: string; yaml?: never } | { yaml: string; file?: never } | { inCluster: true; file?: never; yaml?: never };

/** Loads a KubeConfig from its source; throws when it names no usable cluster. */
export function loadKubeConfig(source: KubeconfigSource): KubeConfig {
  const kc = new KubeConfig();
  if ('yaml' in source && source.yaml !== undefined) kc.loadFromString(source.yaml);
  else if ('file' in source && source.file !== undefined) kc.loadFromFile(source.file);
  else kc.loadFromCluster();
  if (!kc.getCurrentCluster()) throw new Error('the kubeconfig names no current cluster');
  return kc;
}
