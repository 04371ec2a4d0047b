import { ConflictError, NotFoundError, PolicyError, TemplateError, UnavailableError, UpstreamError, UpstreamTimeoutError } from '../../../lib/errors.ts';
import { kubeFailure, kubeNetworkFailure } from '../../../lib/kube/failures.ts';

const status = (message: string, reason?: string) => ({ kind: 'Status', status: 'Failure', message, reason });

describe('kubeFailure', () => {
  it.each([
    [400, TemplateError, 'TEMPLATE_REJECTED'],
    [422, TemplateError, 'TEMPLATE_REJECTED'],
    [404, NotFoundError, 'NOT_FOUND'],
    [403, PolicyError, 'REFUSED_BY_POLICY'],
    [401, UpstreamError, 'KUBERNETES_CREDENTIALS_REJECTED'],
    [410, UpstreamError, 'LIST_EXPIRED'],
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
    const body = {
      ...status('Job.batch "x" is invalid'),
      details: { causes: [{ field: 'spec.template', message: 'Required value', reason: 'FieldValueRequired' }] },
    };
    expect(kubeFailure(422, body, 'POST').details).toEqual([{ field: 'spec.template', message: 'Required value' }]);
  });

  it('answers a write into a namespace being deleted with a conflict', () => {
    // As the API server answers (Kubernetes 1.36): the namespace lifecycle plugin's cause says it.
    const body = {
      ...status('configmaps "x" is forbidden: unable to create new content in namespace t because it is being terminated', 'Forbidden'),
      details: {
        name: 'x',
        kind: 'configmaps',
        causes: [{ reason: 'NamespaceTerminating', message: 'namespace t is being terminated', field: 'metadata.namespace' }],
      },
    };
    const err = kubeFailure(403, body, 'POST');
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.code).toBe('NAMESPACE_TERMINATING');
  });

  // The messages below are the API server's own (Kubernetes 1.36), as the integration tests see them.
  it('tells the refusals of a write apart: RBAC in a namespace nobody prepared (422) or at the cluster scope (502), a quota (409), a policy (422)', () => {
    const rbacCluster = kubeFailure(
      403,
      status(
        'persistentvolumes is forbidden: User "system:serviceaccount:moop-system:moop-resource-service" cannot create resource "persistentvolumes" in API group "" at the cluster scope',
        'Forbidden',
      ),
      'POST /api/v1/persistentvolumes',
    );
    const rbac = kubeFailure(
      403,
      status(
        'pods is forbidden: User "system:serviceaccount:moop-system:moop-resource-service" cannot create resource "pods" in API group "" in the namespace "kube-system"',
        'Forbidden',
      ),
      'POST /api/v1/namespaces/kube-system/pods',
    );
    const quota = kubeFailure(
      403,
      status('pods "job-x" is forbidden: exceeded quota: copies, requested: pods=1, used: pods=1, limited: pods=1', 'Forbidden'),
      'POST /api/v1/namespaces/t/pods',
    );
    const podSecurity = kubeFailure(
      403,
      status('pods "job-x" is forbidden: violates PodSecurity "baseline:latest": hostPath volumes (volume "root")', 'Forbidden'),
      'POST /api/v1/namespaces/t/pods',
    );
    const vapMessage = "ValidatingAdmissionPolicy 'guard' with binding 'guard' denied request: guard refuses this request";
    const vap = kubeFailure(
      422,
      {
        ...status(`persistentvolumeclaims "x" is forbidden: ${vapMessage}`, 'Invalid'),
        details: { name: 'x', kind: 'persistentvolumeclaims', causes: [{ message: vapMessage }] },
      },
      'POST /api/v1/namespaces/t/persistentvolumeclaims',
    );
    const webhook = kubeFailure(
      400,
      status('admission webhook "deny.example.com" denied the request: no copies on Sundays', 'BadRequest'),
      'POST /apis/batch/v1/namespaces/t/jobs',
    );
    expect([rbacCluster, rbac, quota, podSecurity, vap, webhook].map((e) => [e.constructor.name, e.code])).toEqual([
      ['UpstreamError', 'KUBERNETES_FORBIDDEN'],
      ['PolicyError', 'NAMESPACE_NOT_PREPARED'],
      ['ConflictError', 'QUOTA_EXCEEDED'],
      ['PolicyError', 'REFUSED_BY_POLICY'],
      ['PolicyError', 'REFUSED_BY_POLICY'],
      ['PolicyError', 'REFUSED_BY_POLICY'],
    ]);
    expect(rbac.message).toBe(
      'Namespace kube-system is not prepared for the MOOP resource service: an operator runs npm run prepare-tenant -- --tenant <id> (README, Tenant namespaces). ' +
        'pods is forbidden: User "system:serviceaccount:moop-system:moop-resource-service" cannot create resource "pods" in API group "" in the namespace "kube-system"',
    );
    expect(quota.message).toBe(
      'The tenant\'s namespace has used up a quota: pods "job-x" is forbidden: exceeded quota: copies, requested: pods=1, used: pods=1, limited: pods=1',
    );
    expect(podSecurity.message).toBe(
      'A policy of the cluster refused the request: pods "job-x" is forbidden: violates PodSecurity "baseline:latest": hostPath volumes (volume "root")',
    );
  });

  it("decides by the Status's causes where Kubernetes gives them, whatever its words", () => {
    const policyCause = (httpStatus: number, reason: string) =>
      kubeFailure(httpStatus, { ...status('refused, in words of its own', reason), details: { causes: [{ message: 'a policy says no' }] } }, 'POST /api/v1/x');
    const fieldCause = kubeFailure(
      422,
      {
        ...status('refused, in words of its own', 'Invalid'),
        details: { causes: [{ reason: 'FieldValueRequired', field: 'spec.accessModes', message: 'Required value' }] },
      },
      'POST /api/v1/x',
    );
    const terminating = kubeFailure(
      403,
      {
        ...status('refused, in words of its own', 'Forbidden'),
        details: { causes: [{ reason: 'NamespaceTerminating', message: 'namespace t is being terminated' }] },
      },
      'POST /api/v1/x',
    );
    const read = kubeFailure(
      403,
      { ...status('refused, in words of its own', 'Forbidden'), details: { causes: [{ message: 'a policy says no' }] } },
      'GET /api/v1/x',
    );
    expect([policyCause(403, 'Forbidden'), policyCause(422, 'Invalid'), fieldCause, terminating, read].map((e) => e.code)).toEqual([
      'REFUSED_BY_POLICY',
      'REFUSED_BY_POLICY',
      'TEMPLATE_REJECTED',
      'NAMESPACE_TERMINATING',
      'KUBERNETES_FORBIDDEN',
    ]);
  });

  it('says to rotate a credential the API server no longer accepts', () => {
    expect(kubeFailure(401, status('Unauthorized', 'Unauthorized'), 'GET /api/v1/pods').message).toBe(
      "The Kubernetes API server rejected the service's credentials (expired or revoked): rotate the kubeconfig (KUBECONFIG or its secret). Unauthorized",
    );
  });

  it('cuts a long upstream body in its message', () => {
    const err = kubeFailure(500, 'x'.repeat(5000), 'GET /x');
    expect(err.message.length).toBeLessThan(600);
    expect(err.message.endsWith('…')).toBe(true);
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

  it('maps refused and reset connections to 503, naming the cause', () => {
    const err = kubeNetworkFailure(Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } }), 'https://k:6443');
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toBe('The Kubernetes API server at https://k:6443 cannot be reached (ECONNREFUSED)');
  });

  it.each(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED'])(
    'maps a TLS verification failure (%s) to a configuration error, not "cannot be reached"',
    (code) => {
      const err = kubeNetworkFailure(Object.assign(new Error('tls'), { code }), 'https://k:6443');
      expect(err).toBeInstanceOf(UpstreamError);
      expect(err.code).toBe('KUBERNETES_TLS_FAILED');
      expect(err.message).toBe(
        `TLS verification of the Kubernetes API server at https://k:6443 failed (${code}): the kubeconfig's certificate-authority or tls-server-name does not match the server.`,
      );
    },
  );
});
