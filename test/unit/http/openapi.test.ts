// The OpenAPI document documents what the service publishes as well as what it answers: the completion notices'
// detail, beside the routes' schemas.
import { openApiDocument } from '../../../lib/http/openapi.ts';
import { noticeTypes } from '../../../lib/notices/schemas.ts';

const document = openApiDocument() as unknown as {
  components: { schemas: Record<string, { required?: string[]; properties: Record<string, unknown> }> };
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>;
};

it("documents the completion notices' detail as a schema of its own", () => {
  expect(document.components.schemas.NoticeDetail?.required?.sort()).toEqual(
    [
      'correlationId',
      'eventId',
      'kind',
      'name',
      'namespace',
      'observedAt',
      'reason',
      'requestedAt',
      'tenant',
      'uid',
    ].sort(),
  );
});

it.each([['/service/v1/pods'], ['/service/v1/volumes/students'], ['/service/v1/volumes/rosters']])(
  'lets POST %s ask to be told, with a correlation id',
  (path) => {
    const body = JSON.stringify(document.paths[path]?.post?.requestBody);
    expect(body).toContain('"notify"');
  },
);

it('names every detail-type the service publishes', () => {
  expect(Object.keys(noticeTypes).sort()).toEqual(
    [
      'ClaimBound',
      'ClaimStillPending',
      'CopyFailed',
      'CopyStuck',
      'CopySucceeded',
      'OperationFailed',
      'OperationSucceeded',
      'TargetDeleted',
    ].sort(),
  );
});
