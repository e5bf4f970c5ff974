// The OpenAPI 3.1 document, generated from the route table so it cannot
// describe a route the server does not have (or miss one it has).

import { readFileSync } from 'node:fs';
import { ERROR_CODES } from '../errors.js';
import { type RouteSpec, SCHEMAS } from './routes.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string; description: string };

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid request: the message says what is wrong and where',
  404: 'Not found',
  413: 'Too large: the body exceeds server.limits.max_request_size_mb, or a batch exceeds server.limits.max_batch_size',
  415: 'Content-Type is not application/json',
  500: 'Internal error',
  503: 'Not ready: policies are still loading, or the server is shutting down',
  504: 'The request took longer than server.limits.request_timeout_seconds',
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ content: { 'application/json': { schema: ref(name) } } });

/** /v1/policies/:id → /v1/policies/{id}, with its path parameters. */
function pathOf(url: string): { path: string; params: string[] } {
  const params: string[] = [];
  const path = url.replace(/:(\w+)/g, (_m, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path, params };
}

export function openApiDocument(routes: readonly RouteSpec[]): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const r of routes) {
    const { path, params } = pathOf(r.url);
    const responses: Record<string, object> = { '200': { description: 'OK', ...json(r.response) } };
    for (const status of [...r.errors, 500]) responses[String(status)] = { description: STATUS_TEXT[status] ?? 'Error', ...json('Error') };
    if (r.unavailableBody) responses['503'] = { description: 'Not ready', ...json(r.unavailableBody) };
    (paths[path] ??= {})[r.method.toLowerCase()] = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      ...(params.length ? { parameters: params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })) } : {}),
      ...(r.body ? { requestBody: { required: true, ...json(r.body) } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'llm-policy-engine REST API',
      version: pkg.version,
      description: `${pkg.description}\n\nError codes (the \`error.code\` of every error body) and their HTTP statuses: ${Object.entries(ERROR_CODES)
        .map(([code, m]) => `${code} ${m.http}`)
        .join(', ')}. The same operations over gRPC: proto/policy_engine.proto.`,
    },
    paths,
    components: { schemas: SCHEMAS },
  };
}
