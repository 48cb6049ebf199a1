// Maps whatever an operation threw to one reason of the fixed set, plus the details worth logging.
import type { FailureReason } from '../results/operations.js';
import { scrubSecrets } from '../log/scrub.js';

/** The server answered successfully but what it returned is wrong (bytes, length, listing). */
export class IntegrityError extends Error {
  override readonly name = 'IntegrityError';
}

export interface FailureInfo {
  reason: FailureReason;
  /** S3 error code or Node error code, e.g. SignatureDoesNotMatch, ECONNREFUSED. */
  code?: string;
  httpStatus?: number;
  requestId?: string;
  message: string;
}

const TLS_CODES = /^(CERT_|ERR_TLS_|ERR_SSL_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(VERIFY|GET)_|HOSTNAME_MISMATCH|ERR_OSSL)/;
const AUTH_CODES = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired', 'Forbidden', 'CredentialsProviderError', 'InvalidSecurity', 'AuthorizationHeaderMalformed', 'RequestTimeTooSkewed']);
const THROTTLE_CODES = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequests', 'RequestLimitExceeded', 'TooManyRequestsException', 'ServiceUnavailable']);
const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NoSuchBucket', 'NotFound', 'NoSuchUpload']);

/** Whether an S3 error says the key, upload or bucket does not exist. */
export function isNotFound(err: unknown): boolean {
  const e = (err ?? {}) as SdkLike;
  return (e.name !== undefined && NOT_FOUND_CODES.has(e.name)) || e.$metadata?.httpStatusCode === 404;
}

interface SdkLike {
  name?: string;
  code?: string;
  message?: string;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number; requestId?: string; extendedRequestId?: string };
  $fault?: 'client' | 'server';
}

/** `timedOut` says our own per-operation deadline fired (the error itself is then an abort). */
export function classifyFailure(err: unknown, timedOut: boolean): FailureInfo {
  const e = (err ?? {}) as SdkLike;
  const code = nodeCode(e) ?? e.name;
  const httpStatus = e.$metadata?.httpStatusCode;
  const info = {
    code,
    httpStatus,
    requestId: e.$metadata?.requestId,
    // The SDK says "UnknownError" when an error body has no message: the code says more.
    message: scrubSecrets(e.message && e.message !== 'UnknownError' ? e.message : `${code ?? 'error'}${httpStatus ? ` (HTTP ${httpStatus})` : ''}`).slice(0, 300),
  };
  return { reason: reasonOf(e, code, httpStatus, timedOut), ...info };
}

function nodeCode(e: SdkLike): string | undefined {
  // Network errors may be wrapped (e.g. in an AggregateError or as `cause`).
  for (let cur: unknown = e, depth = 0; cur && depth < 4; depth++) {
    const c = (cur as SdkLike).code;
    if (typeof c === 'string') return c;
    const errors = (cur as { errors?: unknown[] }).errors;
    if (Array.isArray(errors) && errors.length) cur = errors[0];
    else cur = (cur as SdkLike).cause;
  }
  return undefined;
}

function reasonOf(e: SdkLike, code: string | undefined, status: number | undefined, timedOut: boolean): FailureReason {
  if (e instanceof IntegrityError) return 'integrity';
  if (timedOut || code === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'RequestTimeout' || code === 'ESOCKETTIMEDOUT') return 'timeout';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NODATA' || code === 'EAI_FAIL') return 'dns';
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (code && TLS_CODES.test(code)) return 'tls';
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'UND_ERR_SOCKET' || /socket hang up|aborted/i.test(e.message ?? '')) return 'connection_reset';
  if (code && AUTH_CODES.has(code)) return 'auth';
  if (status === 401 || status === 403) return 'auth';
  if (status === 429 || (code && THROTTLE_CODES.has(code))) return 'throttled';
  if (status === 404 || (code && NOT_FOUND_CODES.has(code))) return 'not_found';
  if (status !== undefined && status >= 500) return 'server_error';
  if (status !== undefined && status >= 400) return 'client_error';
  return 'other';
}
