// Typed errors shared by every service. The API gateway maps them to HTTP once, in its error
// middleware; workers and the CLI read `status`/`code` to decide what to tell the user.

/** One problem with an input, located by a YAML-style path (`nodes[3].ip`) or a line number. */
export interface ErrorDetail {
  path?: string;
  line?: number;
  message: string;
}

/** Base class: carries the HTTP status it maps to and a stable machine-readable code. */
export class AamiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[];
  constructor(message: string, status: number, code: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = this.constructor.name;
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Bad input (400). `details` names every offending field or line, not only the first. */
export class ValidationError extends AamiError {
  constructor(message: string, details: ErrorDetail[] = []) {
    super(message, 400, 'validation_failed', details);
  }
}

/** The thing asked for does not exist (404). */
export class NotFoundError extends AamiError {
  constructor(message: string) {
    super(message, 404, 'not_found');
  }
}

/** A write based on a stale config revision, or a duplicate (409). */
export class ConflictError extends AamiError {
  constructor(message: string, details: ErrorDetail[] = []) {
    super(message, 409, 'conflict', details);
  }
}

/** No or unknown credentials (401). */
export class UnauthorizedError extends AamiError {
  constructor(message = 'missing or invalid API token') {
    super(message, 401, 'unauthorized');
  }
}

/** Known caller without the role the action needs (403). */
export class ForbiddenError extends AamiError {
  constructor(message = 'this token may only read; an admin token is needed to change anything') {
    super(message, 403, 'forbidden');
  }
}

/** A dependency (Redis, Prometheus...) could not be reached (503). */
export class UnavailableError extends AamiError {
  constructor(message: string) {
    super(message, 503, 'unavailable');
  }
}

/** Renders an error with its details, one per line, for logs and the CLI. */
export function formatErrorDetails(details: ErrorDetail[]): string {
  return details
    .map((d) => `  ${d.line !== undefined ? `line ${d.line}: ` : ''}${d.path ? `${d.path}: ` : ''}${d.message}`)
    .join('\n');
}
