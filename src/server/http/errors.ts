// Fastify's own errors (body limit, content type, JSON syntax, bad URLs) as
// API errors, so every REST error body is { "error": { "code", "message" } }.

import { ServiceError } from '../errors.js';

interface FrameworkError {
  readonly code?: string;
  readonly statusCode?: number;
  readonly message: string;
}

export function httpErrorOf(err: unknown, bodyLimitMb: number, contentType: string | undefined): ServiceError {
  if (err instanceof ServiceError) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as FrameworkError;
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ServiceError('resource_exhausted', `the request body is larger than ${bodyLimitMb} MB (server.limits.max_request_size_mb)`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ServiceError('unsupported_media_type', `Content-Type must be application/json, got ${contentType ? `'${contentType}'` : 'none'}`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ServiceError('invalid_argument', 'the request body is empty: send a JSON object');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ServiceError('invalid_argument', 'the Content-Length header does not match the body');
    case 'FST_ERR_BAD_URL':
      return new ServiceError('invalid_argument', `the URL is malformed: ${e.message}`);
    default:
      break;
  }
  // The JSON parser's SyntaxError (also prototype poisoning attempts), with Fastify's 400.
  if (err instanceof SyntaxError) return new ServiceError('invalid_argument', `the request body is not valid JSON: ${e.message}`);
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) return new ServiceError('invalid_argument', e.message);
  return new ServiceError('internal', 'internal error: the server logged the details', { cause: err });
}
