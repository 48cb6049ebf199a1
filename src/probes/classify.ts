// Maps whatever an operation threw to one reason of the fixed set, plus the details worth logging.
import type { FailureReason } from '../results/operations.js';
import type { RequestTrace } from '../results/request-trace.js';
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
/** The server does not offer the call (501 NotImplemented, 405 MethodNotAllowed). */
const UNSUPPORTED_CODES = new Set(['NotImplemented', 'MethodNotAllowed']);
// EPROTO: the peer's first bytes are not TLS (e.g. https:// pointed at a plain-HTTP server)
const TLS_PROTOCOL_CODES = new Set(['EPROTO']);

/** An error's message, whatever was thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : JSON.stringify(err) ?? 'undefined';
}

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

/** Whether the request may have reached the server: a kept-alive socket may have carried it; a new
 *  one only once it connected (and, for HTTPS, completed its handshake), since the request is
 *  written after that. */
function mayHaveReachedServer(t: RequestTrace): boolean {
  return t.reused || (t.protocol === 'https:' ? t.phases.tls !== undefined : t.phases.connect !== undefined);
}

/** None of the operation's requests can have reached the server, so it certainly changed nothing. */
export function neverReachedServer(traces: readonly RequestTrace[]): boolean {
  return !traces.some(mayHaveReachedServer);
}

/** An HTTPS connection that connected and then failed before its handshake completed. */
function handshakeFailed(traces: readonly RequestTrace[]): boolean {
  return traces.some((t) => t.protocol === 'https:' && !t.reused && t.phases.connect !== undefined && t.phases.tls === undefined && t.error !== undefined);
}

/** `timedOut` says our own per-operation deadline fired (the error itself is then an abort);
 *  `traces`, the operation's requests, tell a TLS handshake that failed from a reset later on. */
export function classifyFailure(err: unknown, timedOut: boolean, traces: readonly RequestTrace[] = []): FailureInfo {
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
  let reason = reasonOf(e, code, httpStatus, timedOut);
  if (reason === 'connection_reset' && handshakeFailed(traces)) reason = 'tls';
  return { reason, ...info };
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

/** An error of the prober's own code (a bug), not of the server, the network or the SDK's view of them. */
function isInternalError(err: unknown): boolean {
  const e = err as SdkLike;
  const builtin = err instanceof RangeError || err instanceof ReferenceError || err instanceof TypeError;
  return builtin && e.code === undefined && e.$metadata === undefined;
}

function reasonOf(e: SdkLike, code: string | undefined, status: number | undefined, timedOut: boolean): FailureReason {
  if (e instanceof IntegrityError) return 'integrity';
  if (!timedOut && isInternalError(e)) return 'internal';
  if (timedOut || code === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'RequestTimeout' || code === 'ESOCKETTIMEDOUT') return 'timeout';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NODATA' || code === 'EAI_FAIL') return 'dns';
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (code && (TLS_CODES.test(code) || TLS_PROTOCOL_CODES.has(code))) return 'tls';
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'UND_ERR_SOCKET' || /socket hang up|aborted/i.test(e.message ?? '')) return 'connection_reset';
  if (code && AUTH_CODES.has(code)) return 'auth';
  if (status === 401 || status === 403) return 'auth';
  if (status === 429 || (code && THROTTLE_CODES.has(code))) return 'throttled';
  if (status === 404 || (code && NOT_FOUND_CODES.has(code))) return 'not_found';
  if (status === 501 || status === 405 || (code && UNSUPPORTED_CODES.has(code))) return 'unsupported';
  if (status !== undefined && status >= 500) return 'server_error';
  if (status !== undefined && status >= 400) return 'client_error';
  return 'other';
}
