// The OpenAPI 3.1 document, generated from the route table and its zod schemas (zod-openapi); never written by hand.
import { createDocument, type ZodOpenApiPathsObject } from 'zod-openapi';
import { ErrorBody } from '../contract/responses.ts';
import { errorKinds } from '../errors.ts';
import { NoticeDetail } from '../notices/schemas.ts';
import { type Route, routes } from './routes.ts';

// Each status as its error kind describes it (kinds that share a status share its description).
const errors: Record<number, string> = Object.fromEntries(errorKinds.map((kind) => [kind.status, kind.description]));

function operation(route: Route) {
  const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
  return {
    summary: route.summary,
    security: [{ moopkey: [] }],
    ...(route.query || route.headers
      ? {
          requestParams: {
            ...(route.query ? { query: route.query } : {}),
            ...(route.headers ? { header: route.headers } : {}),
          },
        }
      : {}),
    ...(route.body ? { requestBody: { required: true, ...json(route.body) } } : {}),
    responses: {
      [route.success.status]: { description: 'Success', ...json(route.success.schema) },
      // A route that answers 201 when it made something answers 200, with the same shape, when everything was there.
      ...(route.success.statusOf
        ? { 200: { description: 'Everything asked for existed already', ...json(route.success.schema) } }
        : {}),
      ...Object.fromEntries(
        Object.entries(errors).map(([status, description]) => [status, { description, ...json(ErrorBody) }]),
      ),
    },
  };
}

/** The service's OpenAPI 3.1 document. */
export function openApiDocument(): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of Object.values(routes) as Route[]) {
    paths[route.path] = { ...paths[route.path], [route.method]: operation(route) };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'MOOP resource service',
      version: '1.0.0',
      description: 'Volumes, claims and copy Jobs for MOOP tenants.',
    },
    components: {
      securitySchemes: { moopkey: { type: 'apiKey', in: 'header', name: 'moopkey' } },
      // Not an answer of any route: the `detail` of the completion notices published on EventBridge.
      schemas: { NoticeDetail },
    },
    paths,
  });
}
