// What a benchmark's child process counts of its handler's Kubernetes requests: each as "verb resource" (create pods,
// list configmaps, get configmaps, discovery /api/v1), counted on the handler's own client.
import type { KubeClient } from '../lib/kube/client.ts';

/** A request as "verb resource": create pods, list persistentvolumeclaims, get configmaps, discovery /api/v1. */
export function callOf(method: string, path: string): string {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  // /api/v1 or /apis/<group>/<version>, then namespaces/<ns>, then the resource and its name.
  const rest = parts.slice(parts[0] === 'api' ? 2 : 3);
  if (rest.length === 0) return `discovery /${parts.join('/')}`;
  const [resource, name, sub] = rest[0] === 'namespaces' && rest.length > 2 ? rest.slice(2) : rest;
  const verb =
    method === 'GET'
      ? name
        ? 'get'
        : 'list'
      : method === 'POST'
        ? 'create'
        : method === 'DELETE'
          ? name
            ? 'delete'
            : 'deletecollection'
          : method.toLowerCase();
  return `${verb} ${resource}${sub ? `/${sub}` : ''}`;
}

/** Counts every request kube sends from now on into calls, by "verb resource". */
export function countCalls(kube: KubeClient, calls: Record<string, number>): void {
  const request = kube.request.bind(kube);
  kube.request = ((req: Parameters<typeof request>[0]) => {
    const call = callOf(req.method, req.path);
    calls[call] = (calls[call] ?? 0) + 1;
    return request(req);
  }) as typeof kube.request;
}

/** The calls as "verb resource n", the most frequent first. */
export const describeCalls = (calls: Record<string, number>): string =>
  Object.entries(calls)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([call, n]) => `${call} ${n}`)
    .join(', ');
