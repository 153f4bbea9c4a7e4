// Errors of the tracking module. A server's own `error_code` and message are
// kept; the text says which request failed and what to do about it.

/** The server answered with an error (4xx/5xx). */
export class MlflowError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** MLflow's `error_code` (RESOURCE_DOES_NOT_EXIST, INVALID_PARAMETER_VALUE, ...), or `HTTP_<status>`. */
    readonly errorCode: string,
    readonly method: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'MlflowError';
  }
}

/** 401/403: the server refused the credentials (or wants some). */
export class MlflowAuthError extends MlflowError {
  constructor(message: string, status: number, errorCode: string, method: string, path: string) {
    super(message, status, errorCode, method, path);
    this.name = 'MlflowAuthError';
  }
}

/** No answer at all (connection refused, DNS, TLS, timeout) after every retry. */
export class MlflowUnreachableError extends Error {
  constructor(message: string, readonly uri: string, readonly cause?: unknown) {
    super(message);
    this.name = 'MlflowUnreachableError';
  }
}

/** A local store that is missing, malformed, or asked for something it does not hold. */
export class LocalStoreError extends Error {
  constructor(message: string, readonly errorCode = 'INVALID_STATE') {
    super(message);
    this.name = 'LocalStoreError';
  }
}

/** A run or experiment that none of the stores a Tracking reads (server, spool) holds. */
export class NotFoundError extends Error {
  readonly errorCode = 'RESOURCE_DOES_NOT_EXIST';
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** The store answered that the thing does not exist (as opposed to not answering, or failing). */
export function isNotFound(e: unknown): boolean {
  return (e instanceof MlflowError && e.errorCode === 'RESOURCE_DOES_NOT_EXIST') ||
    (e instanceof LocalStoreError && e.errorCode === 'RESOURCE_DOES_NOT_EXIST') || e instanceof NotFoundError;
}

/** Worth retrying: no answer, a 5xx, or 429. */
export function isTransient(e: unknown): boolean {
  return e instanceof MlflowUnreachableError || (e instanceof MlflowError && (e.status >= 500 || e.status === 429));
}
