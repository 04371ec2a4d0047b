import {
  ConflictError,
  NotFoundError,
  PolicyError,
  TemplateError,
  UnavailableError,
  UpstreamError,
  UpstreamTimeoutError,
} from '../../../lib/errors.ts';
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
    const err = kubeFailure({ method: 'POST', path: '/x', status: httpStatus, body: status('it failed') });
    expect(err).toBeInstanceOf(Kind);
    expect(err.code).toBe(code);
    expect(err.message).toContain('it failed');
  });

  it('blames the template for a 400 or 422 only when creating', () => {
    expect(kubeFailure({ method: 'DELETE', path: '/api/v1/x', status: 400, body: status('bad') })).toBeInstanceOf(
      UpstreamError,
    );
    expect(kubeFailure({ method: 'PATCH', path: '/api/v1/x', status: 422, body: status('bad') }).code).toBe(
      'KUBERNETES_FAILED',
    );
    expect(kubeFailure({ method: 'POST', path: '/api/v1/x', status: 422, body: status('bad') }).code).toBe(
      'TEMPLATE_REJECTED',
    );
  });

  it('tells an existing object from another conflict', () => {
    expect(
      kubeFailure({ method: 'POST', path: '', status: 409, body: status('pv "a" already exists', 'AlreadyExists') })
        .code,
    ).toBe('ALREADY_EXISTS');
    expect(
      kubeFailure({ method: 'PUT', path: '', status: 409, body: status('the object has been modified', 'Conflict') })
        .code,
    ).toBe('CONFLICT');
    expect(kubeFailure({ method: 'POST', path: '', status: 409, body: status('x', 'AlreadyExists') })).toBeInstanceOf(
      ConflictError,
    );
  });

  it('lists the fields the API server rejected', () => {
    const body = {
      ...status('Job.batch "x" is invalid'),
      details: { causes: [{ field: 'spec.template', message: 'Required value', reason: 'FieldValueRequired' }] },
    };
    expect(kubeFailure({ method: 'POST', path: '', status: 422, body: body }).details).toEqual([
      { field: 'spec.template', message: 'Required value' },
    ]);
  });

  it('answers a write into a namespace being deleted with a conflict', () => {
    // As the API server answers (Kubernetes 1.36): the namespace lifecycle plugin's cause says it.
    const body = {
      ...status(
        'configmaps "x" is forbidden: unable to create new content in namespace t because it is being terminated',
        'Forbidden',
      ),
      details: {
        name: 'x',
        kind: 'configmaps',
        causes: [
          { reason: 'NamespaceTerminating', message: 'namespace t is being terminated', field: 'metadata.namespace' },
        ],
      },
    };
    const err = kubeFailure({ method: 'POST', path: '', status: 403, body: body });
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.code).toBe('NAMESPACE_TERMINATING');
  });

  // The messages below are the API server's own (Kubernetes 1.36), as the integration tests see them.
  it('tells the refusals of a write apart: RBAC in a namespace nobody prepared (422) or at the cluster scope (502), a quota (409), a policy (422)', () => {
    const rbacCluster = kubeFailure({
      method: 'POST',
      path: '/api/v1/persistentvolumes',
      status: 403,
      body: status(
        'persistentvolumes is forbidden: User "system:serviceaccount:moop-system:moop-resource-service" cannot create resource "persistentvolumes" in API group "" at the cluster scope',
        'Forbidden',
      ),
    });
    const rbac = kubeFailure({
      method: 'POST',
      path: '/api/v1/namespaces/kube-system/pods',
      status: 403,
      body: status(
        'pods is forbidden: User "system:serviceaccount:moop-system:moop-resource-service" cannot create resource "pods" in API group "" in the namespace "kube-system"',
        'Forbidden',
      ),
    });
    const quota = kubeFailure({
      method: 'POST',
      path: '/api/v1/namespaces/t/pods',
      status: 403,
      body: status(
        'pods "job-x" is forbidden: exceeded quota: copies, requested: pods=1, used: pods=1, limited: pods=1',
        'Forbidden',
      ),
    });
    const podSecurity = kubeFailure({
      method: 'POST',
      path: '/api/v1/namespaces/t/pods',
      status: 403,
      body: status(
        'pods "job-x" is forbidden: violates PodSecurity "baseline:latest": hostPath volumes (volume "root")',
        'Forbidden',
      ),
    });
    const vapMessage =
      "ValidatingAdmissionPolicy 'guard' with binding 'guard' denied request: guard refuses this request";
    const vap = kubeFailure({
      method: 'POST',
      path: '/api/v1/namespaces/t/persistentvolumeclaims',
      status: 422,
      body: {
        ...status(`persistentvolumeclaims "x" is forbidden: ${vapMessage}`, 'Invalid'),
        details: { name: 'x', kind: 'persistentvolumeclaims', causes: [{ message: vapMessage }] },
      },
    });
    const webhook = kubeFailure({
      method: 'POST',
      path: '/apis/batch/v1/namespaces/t/jobs',
      status: 400,
      body: status('admission webhook "deny.example.com" denied the request: no copies on Sundays', 'BadRequest'),
    });
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
      kubeFailure({
        method: 'POST',
        path: '/api/v1/x',
        status: httpStatus,
        body: {
          ...status('refused, in words of its own', reason),
          details: { causes: [{ message: 'a policy says no' }] },
        },
      });
    const fieldCause = kubeFailure({
      method: 'POST',
      path: '/api/v1/x',
      status: 422,
      body: {
        ...status('refused, in words of its own', 'Invalid'),
        details: { causes: [{ reason: 'FieldValueRequired', field: 'spec.accessModes', message: 'Required value' }] },
      },
    });
    const terminating = kubeFailure({
      method: 'POST',
      path: '/api/v1/x',
      status: 403,
      body: {
        ...status('refused, in words of its own', 'Forbidden'),
        details: { causes: [{ reason: 'NamespaceTerminating', message: 'namespace t is being terminated' }] },
      },
    });
    const read = kubeFailure({
      method: 'GET',
      path: '/api/v1/x',
      status: 403,
      body: {
        ...status('refused, in words of its own', 'Forbidden'),
        details: { causes: [{ message: 'a policy says no' }] },
      },
    });
    expect(
      [policyCause(403, 'Forbidden'), policyCause(422, 'Invalid'), fieldCause, terminating, read].map((e) => e.code),
    ).toEqual([
      'REFUSED_BY_POLICY',
      'REFUSED_BY_POLICY',
      'TEMPLATE_REJECTED',
      'NAMESPACE_TERMINATING',
      'KUBERNETES_FORBIDDEN',
    ]);
  });

  it('says to rotate a credential the API server no longer accepts', () => {
    expect(
      kubeFailure({ method: 'GET', path: '/api/v1/pods', status: 401, body: status('Unauthorized', 'Unauthorized') })
        .message,
    ).toBe(
      "The Kubernetes API server rejected the service's credentials (expired or revoked): rotate the kubeconfig (KUBECONFIG or its secret). Unauthorized",
    );
  });

  it('cuts a long upstream body in its message', () => {
    const err = kubeFailure({ method: 'GET', path: '/x', status: 500, body: 'x'.repeat(5000) });
    expect(err.message.length).toBeLessThan(600);
    expect(err.message.endsWith('…')).toBe(true);
  });

  it('copes with a body that is not a Status', () => {
    expect(kubeFailure({ method: 'GET', path: '/x', status: 502, body: 'Bad Gateway' }).message).toBe(
      'The Kubernetes API server failed GET /x (HTTP 502): Bad Gateway',
    );
  });
});

describe('kubeNetworkFailure', () => {
  it('maps time limits to 504', () => {
    expect(kubeNetworkFailure(new DOMException('signal timed out', 'TimeoutError'), 'https://k')).toBeInstanceOf(
      UpstreamTimeoutError,
    );
    expect(
      kubeNetworkFailure(Object.assign(new Error('x'), { code: 'UND_ERR_CONNECT_TIMEOUT' }), 'https://k'),
    ).toBeInstanceOf(UpstreamTimeoutError);
  });

  it('maps refused and reset connections to 503, naming the cause', () => {
    const err = kubeNetworkFailure(
      Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
      'https://k:6443',
    );
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toBe('The Kubernetes API server at https://k:6443 cannot be reached (ECONNREFUSED)');
  });

  it.each([
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'CERT_HAS_EXPIRED',
  ])('maps a TLS verification failure (%s) to a configuration error, not "cannot be reached"', (code) => {
    const err = kubeNetworkFailure(Object.assign(new Error('tls'), { code }), 'https://k:6443');
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.code).toBe('KUBERNETES_TLS_FAILED');
    expect(err.message).toBe(
      `TLS verification of the Kubernetes API server at https://k:6443 failed (${code}): the kubeconfig's certificate-authority or tls-server-name does not match the server.`,
    );
  });

  describe('from what the client knows around the answer', () => {
    const unauthorized = {
      method: 'GET',
      path: '/api/v1/pods',
      status: 401,
      body: status('Unauthorized', 'Unauthorized'),
    } as const;

    it('names the EKS cluster that refused a token minted from the role, and a token past its expiry', () => {
      const eks = kubeFailure(unauthorized, { eksCluster: 'moop-prod' });
      const expired = kubeFailure(unauthorized, {
        tokenExpiry: new Date('2026-01-31T12:00:00Z'),
        now: Date.parse('2026-02-01T00:00:00Z'),
      });
      const valid = kubeFailure(unauthorized, {
        tokenExpiry: new Date('2026-01-31T12:00:00Z'),
        now: Date.parse('2026-01-01T00:00:00Z'),
      });
      expect([eks, expired, valid].map((e) => [e.code, e.message])).toEqual([
        [
          'KUBERNETES_CREDENTIALS_REJECTED',
          "The EKS cluster moop-prod did not accept the token minted from the function's IAM role: give the role an access entry in the group moop:resource-service (README, EKS).",
        ],
        [
          'KUBERNETES_TOKEN_EXPIRED',
          "The service's Kubernetes token expired at 2026-01-31T12:00:00.000Z: make a new one and put it in the kubeconfig (or its secret); README, Deploying, step 1.",
        ],
        [
          'KUBERNETES_CREDENTIALS_REJECTED',
          "The Kubernetes API server rejected the service's credentials (expired or revoked): rotate the kubeconfig (KUBECONFIG or its secret). Unauthorized",
        ],
      ]);
    });

    it('takes a 403 or 500 of a server whose /readyz says it is not ready for "starting", not a refusal', () => {
      const forbidden = {
        method: 'POST',
        path: '/api/v1/namespaces/t/pods',
        status: 403,
        body: status('pods is forbidden: User "x" cannot create resource "pods" in API group "" in the namespace "t"'),
      } as const;
      expect(kubeFailure(forbidden, { ready: false, server: 'https://k:6443' })).toEqual(
        new UnavailableError(
          'The Kubernetes API server at https://k:6443 is starting and not ready yet; retry shortly.',
          { code: 'KUBERNETES_UNAVAILABLE' },
        ),
      );
      expect(kubeFailure(forbidden, { ready: true }).code).toBe('NAMESPACE_NOT_PREPARED');
    });

    it("decides a create's 404 by the Status's details: its namespace does not exist", () => {
      const body = {
        ...status('namespaces "nowhere" not found', 'NotFound'),
        details: { name: 'nowhere', kind: 'namespaces' },
      };
      expect(
        kubeFailure({ method: 'POST', path: '/api/v1/namespaces/nowhere/persistentvolumeclaims', status: 404, body }),
      ).toEqual(
        new NotFoundError("Namespace nowhere does not exist; the tenant's namespace must be created first.", {
          code: 'NAMESPACE_NOT_FOUND',
        }),
      );
      const object = {
        ...status('persistentvolumeclaims "x" not found', 'NotFound'),
        details: { name: 'x', kind: 'persistentvolumeclaims' },
      };
      expect(
        kubeFailure({ method: 'GET', path: '/api/v1/namespaces/t/persistentvolumeclaims/x', status: 404, body: object })
          .code,
      ).toBe('NOT_FOUND');
    });

    it('takes a 404 of a discovery document for a kind the API server does not serve, naming the kind asked for', () => {
      expect(
        kubeFailure(
          {
            method: 'GET',
            path: '/apis/widgets.example.com/v1',
            status: 404,
            body: status('the server could not find the requested resource'),
          },
          { kind: 'Widget' },
        ),
      ).toEqual(
        new TemplateError('The Kubernetes API server serves no kind "Widget" in widgets.example.com/v1.', {
          code: 'TEMPLATE_UNKNOWN_KIND',
        }),
      );
    });
  });
});
