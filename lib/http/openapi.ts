// The OpenAPI 3.1 document, generated from the route table and its zod schemas (zod-openapi); never written by hand.
import { createDocument, type ZodOpenApiPathsObject } from 'zod-openapi';
import { ErrorBody } from './responses.ts';
import { type Route, routes } from './routes.ts';

const errors: Record<number, string> = {
  400: 'The request is malformed',
  401: 'No or wrong moopkey',
  404: 'No such tenant, or no such object for this tenant',
  409: 'The object exists, belongs to another owner, or is in use',
  422: "The tenant's template is missing or renders into something the API server rejects",
  502: 'The tenant service or the API server answered with a failure',
  503: 'The API server or the tenant service cannot be reached',
  504: 'An upstream call ran past its time limit',
};

function operation(route: Route) {
  const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
  return {
    summary: route.summary,
    security: [{ moopkey: [] }],
    ...(route.query || route.headers
      ? { requestParams: { ...(route.query ? { query: route.query } : {}), ...(route.headers ? { header: route.headers } : {}) } }
      : {}),
    ...(route.body ? { requestBody: { required: true, ...json(route.body) } } : {}),
    responses: {
      [route.success.status]: { description: 'Success', ...json(route.success.schema) },
      ...Object.fromEntries(Object.entries(errors).map(([status, description]) => [status, { description, ...json(ErrorBody) }])),
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
    info: { title: 'MOOP resource service', version: '1.0.0', description: 'Volumes, claims and copy Jobs for MOOP tenants.' },
    components: { securitySchemes: { moopkey: { type: 'apiKey', in: 'header', name: 'moopkey' } } },
    paths,
  });
}
