import { ConflictError, NotFoundError, TemplateError, UnavailableError, UpstreamError, UpstreamTimeoutError } from '../../../lib/errors.ts';
import { kubeFailure, kubeNetworkFailure } from '../../../lib/kube/failures.ts';

const status = (message: string, reason?: string) => ({ kind: 'Status', status: 'Failure', message, reason });

describe('kubeFailure', () => {
  it.each([
    [400, TemplateError, 'TEMPLATE_REJECTED'],
    [422, TemplateError, 'TEMPLATE_REJECTED'],
    [404, NotFoundError, 'NOT_FOUND'],
    [403, UpstreamError, 'KUBERNETES_FORBIDDEN'],
    [401, UpstreamError, 'KUBERNETES_FAILED'],
    [429, UnavailableError, 'KUBERNETES_UNAVAILABLE'],
    [500, UpstreamError, 'KUBERNETES_FAILED'],
    [503, UnavailableError, 'KUBERNETES_UNAVAILABLE'],
    [504, UpstreamTimeoutError, 'KUBERNETES_TIMEOUT'],
  ])('maps HTTP %i to %p with code %s', (httpStatus, Kind, code) => {
    const err = kubeFailure(httpStatus, status('it failed'), 'POST /x');
    expect(err).toBeInstanceOf(Kind);
    expect(err.code).toBe(code);
    expect(err.message).toContain('it failed');
  });

  it('blames the template for a 400 or 422 only when creating', () => {
    expect(kubeFailure(400, status('bad'), 'DELETE /api/v1/x')).toBeInstanceOf(UpstreamError);
    expect(kubeFailure(422, status('bad'), 'PATCH /api/v1/x').code).toBe('KUBERNETES_FAILED');
    expect(kubeFailure(422, status('bad'), 'POST /api/v1/x').code).toBe('TEMPLATE_REJECTED');
  });

  it('tells an existing object from another conflict', () => {
    expect(kubeFailure(409, status('pv "a" already exists', 'AlreadyExists'), 'POST').code).toBe('ALREADY_EXISTS');
    expect(kubeFailure(409, status('the object has been modified', 'Conflict'), 'PUT').code).toBe('CONFLICT');
    expect(kubeFailure(409, status('x', 'AlreadyExists'), 'POST')).toBeInstanceOf(ConflictError);
  });

  it('lists the fields the API server rejected', () => {
    const body = { ...status('Job.batch "x" is invalid'), details: { causes: [{ field: 'spec.template', message: 'Required value', reason: 'FieldValueRequired' }] } };
    expect(kubeFailure(422, body, 'POST').details).toEqual([{ field: 'spec.template', message: 'Required value' }]);
  });

  it('answers a write into a namespace being deleted with a conflict', () => {
    const err = kubeFailure(403, status('unable to create new content in namespace t because it is being terminated', 'Forbidden'), 'POST');
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.code).toBe('NAMESPACE_TERMINATING');
  });

  it('copes with a body that is not a Status', () => {
    expect(kubeFailure(502, 'Bad Gateway', 'GET /x').message).toBe('The Kubernetes API server failed GET /x (HTTP 502): Bad Gateway');
  });
});

describe('kubeNetworkFailure', () => {
  it('maps time limits to 504', () => {
    expect(kubeNetworkFailure(new DOMException('signal timed out', 'TimeoutError'), 'https://k')).toBeInstanceOf(UpstreamTimeoutError);
    expect(kubeNetworkFailure(Object.assign(new Error('x'), { code: 'UND_ERR_CONNECT_TIMEOUT' }), 'https://k')).toBeInstanceOf(UpstreamTimeoutError);
  });

  it('maps refused, reset and TLS failures to 503, naming the cause', () => {
    const err = kubeNetworkFailure(Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } }), 'https://k:6443');
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toBe('The Kubernetes API server at https://k:6443 cannot be reached (ECONNREFUSED)');
  });
});
