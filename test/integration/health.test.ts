// GET /service/v1/health through serverless-offline: the frame works end to end, and says so when the API server does
// not.
import { call } from '../support/api.ts';
import { startApiServer, stopApiServer } from '../support/cluster.ts';

describe('GET /service/v1/health', () => {
  it('answers 200 when the API server answers', async () => {
    expect(await call('GET', '/service/v1/health')).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('answers 401 without the moopkey', async () => {
    expect(await call('GET', '/service/v1/health', { key: null })).toEqual({
      status: 401,
      body: { error: 'Missing or wrong moopkey header.', code: 'UNAUTHORIZED' },
    });
  });

  it('answers 503 with a JSON error while the API server is stopped, and 200 again once it is back', async () => {
    await stopApiServer();
    try {
      const down = await call('GET', '/service/v1/health');
      expect(down.status).toBe(503);
      expect(down.body).toEqual({
        error: expect.stringMatching(/^Kubernetes API server is not available: .*cannot be reached/),
        code: 'KUBERNETES_UNAVAILABLE',
      });
    } finally {
      await startApiServer();
    }
    expect(await call('GET', '/service/v1/health')).toEqual({ status: 200, body: { status: 'ok' } });
  });
});
