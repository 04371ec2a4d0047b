// Whether the API server answers and is ready to serve.
import { ServiceError, UnavailableError } from './errors.ts';
import type { KubeClient } from './kube/client.ts';

/** { status: 'ok' } when the API server's /readyz answers 200; otherwise throws UnavailableError (503) saying why. */
export async function checkHealth(kube: KubeClient): Promise<{ status: 'ok' }> {
  try {
    await kube.request({ method: 'GET', path: '/readyz', answer: 'text' });
    return { status: 'ok' };
  } catch (err) {
    // Any failure means "not healthy" here, timeouts included: a health check answers 503, never 504 or 502.
    const why = err instanceof ServiceError ? err.message : String(err);
    throw new UnavailableError(`Kubernetes API server is not available: ${why}`, {
      code: 'KUBERNETES_UNAVAILABLE',
      cause: err,
    });
  }
}
