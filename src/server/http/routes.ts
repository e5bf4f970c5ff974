// The REST routes as data: each with its schemas and documentation, so the
// app registers exactly what the OpenAPI document describes (openapi.ts
// builds the document from this table).

import { traceIdFrom } from '../trace-id.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readiness } from '../readiness.js';
import type { PolicyService } from '../service.js';
import * as S from './schemas.js';

export const SCHEMAS = {
  EvaluateRequest: S.evaluateRequestSchema,
  Decision: S.decisionSchema,
  BatchRequest: S.batchRequestSchema,
  BatchResponse: S.batchResponseSchema,
  UsageRequest: S.usageRequestSchema,
  UsageResponse: S.usageResponseSchema,
  PolicyList: S.policyListSchema,
  PolicyDetail: S.policyDetailSchema,
  Health: S.healthSchema,
  Error: S.errorSchema,
  OpenApi: { type: 'object', description: 'This document.' },
} as const;

export type SchemaName = keyof typeof SCHEMAS;

type Handler = (req: FastifyRequest, reply: FastifyReply) => unknown;

export interface RouteSpec {
  readonly method: 'GET' | 'POST';
  /** Fastify syntax: /v1/policies/:id */
  readonly url: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: 'evaluation' | 'usage' | 'policies' | 'health' | 'meta';
  readonly body?: SchemaName;
  readonly response: SchemaName;
  /** Error statuses the route can answer besides 500 (documented in the OpenAPI document). */
  readonly errors: readonly number[];
  /** Set when 503 is an answer with the response body (health), not an error body. */
  readonly unavailableBody?: SchemaName;
  /** Whether the response schema serializes the reply (false: the body is sent as built). */
  readonly serialize: boolean;
  readonly handler: Handler;
}

export interface RouteDeps {
  readonly service: PolicyService;
  readonly readiness: Readiness;
  /** Built lazily from the table itself. */
  readonly openApi: () => object;
}

const HEALTH_OK = Object.freeze({ status: 'ok' });

export function routeTable({ service, readiness, openApi }: RouteDeps): readonly RouteSpec[] {
  const health: Handler = (_req, reply) => {
    if (readiness.ready) return HEALTH_OK;
    void reply.code(503);
    return { status: readiness.state };
  };
  const ALL_ERRORS = [400, 413, 415, 503, 504];
  return [
    {
      method: 'POST',
      url: '/v1/evaluate',
      operationId: 'evaluate',
      summary: 'May this LLM request go ahead? Returns the decision.',
      tag: 'evaluation',
      body: 'EvaluateRequest',
      response: 'Decision',
      errors: ALL_ERRORS,
      serialize: true,
      handler: (req) => service.evaluate(req.body, 'http', traceIdFrom((n) => req.headers[n])),
    },
    {
      method: 'POST',
      url: '/v1/evaluate/batch',
      operationId: 'evaluateBatch',
      summary: 'Several independent evaluations; decisions in the order of the items. One invalid item fails the call and counts nothing.',
      tag: 'evaluation',
      body: 'BatchRequest',
      response: 'BatchResponse',
      errors: ALL_ERRORS,
      serialize: true,
      handler: (req) => service.evaluateBatch(req.body, 'http', traceIdFrom((n) => req.headers[n])),
    },
    {
      method: 'POST',
      url: '/v1/usage',
      operationId: 'reportUsage',
      summary: 'Settles the budgets a decision reserved with what the request actually used.',
      tag: 'usage',
      body: 'UsageRequest',
      response: 'UsageResponse',
      errors: ALL_ERRORS,
      serialize: true,
      handler: (req) => service.reportUsage(req.body, 'http'),
    },
    {
      method: 'GET',
      url: '/v1/policies',
      operationId: 'listPolicies',
      summary: 'The loaded policies, in evaluation order, and the active revision.',
      tag: 'policies',
      response: 'PolicyList',
      errors: [503],
      serialize: true,
      handler: () => service.listPolicies('http'),
    },
    {
      method: 'GET',
      url: '/v1/policies/:id',
      operationId: 'getPolicy',
      summary: 'One policy and its rules, by name (when only one namespace uses it) or by namespace/name with the slash encoded as %2F.',
      tag: 'policies',
      response: 'PolicyDetail',
      errors: [400, 404, 503],
      serialize: true,
      handler: (req) => service.getPolicy((req.params as { id: string }).id, 'http'),
    },
    {
      method: 'GET',
      url: '/v1/policies/:namespace/:name',
      operationId: 'getPolicyInNamespace',
      summary: 'One policy and its rules, by namespace and name.',
      tag: 'policies',
      response: 'PolicyDetail',
      errors: [404, 503],
      serialize: true,
      handler: (req) => {
        const p = req.params as { namespace: string; name: string };
        return service.getPolicy(`${p.namespace}/${p.name}`, 'http');
      },
    },
    {
      method: 'GET',
      url: '/health',
      operationId: 'health',
      summary: '200 when the daemon is ready to evaluate (policies loaded, not shutting down), 503 otherwise.',
      tag: 'health',
      response: 'Health',
      errors: [],
      unavailableBody: 'Health',
      serialize: true,
      handler: health,
    },
    {
      method: 'GET',
      url: '/health/live',
      operationId: 'healthLive',
      summary: 'Liveness: 200 whenever the process answers.',
      tag: 'health',
      response: 'Health',
      errors: [],
      serialize: true,
      handler: () => HEALTH_OK,
    },
    {
      method: 'GET',
      url: '/health/ready',
      operationId: 'healthReady',
      summary: 'Readiness: as /health.',
      tag: 'health',
      response: 'Health',
      errors: [],
      unavailableBody: 'Health',
      serialize: true,
      handler: health,
    },
    {
      method: 'GET',
      url: '/openapi.json',
      operationId: 'openApi',
      summary: 'This OpenAPI 3 document.',
      tag: 'meta',
      response: 'OpenApi',
      errors: [],
      serialize: false,
      handler: () => openApi(),
    },
  ];
}
