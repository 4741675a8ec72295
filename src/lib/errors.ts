/**
 * Expected failures with stable codes that are part of the API. Services throw them; the
 * GraphQL layer returns them as typed members of result unions (or, on queries, as errors
 * whose message is safe to show). Anything that is not a DomainError is masked.
 */
export class DomainError extends Error {
  constructor(
    message: string,
    /** Stable SCREAMING_SNAKE code; clients branch on it. */
    readonly code: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export interface ValidationIssue {
  /** Path of the offending input field, e.g. ["input", "candles", "3", "high"]. */
  path: string[];
  message: string;
}

/** Bad input: thrown before anything is changed. Lists every problem found, not just the first. */
export class ValidationError extends DomainError {
  constructor(
    readonly issues: ValidationIssue[],
    message = issues.length === 1
      ? `${issues[0]!.path.join('.') || 'input'}: ${issues[0]!.message}`
      : `${issues.length} problems in the input: ${issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`,
  ) {
    super(message, 'VALIDATION_FAILED');
  }
}

/** A thing the caller named does not exist, or is not theirs to see (we do not leak which). */
export class NotFoundError extends DomainError {
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super(`${resource} ${JSON.stringify(id)} was not found`, 'NOT_FOUND');
  }
}

/** The caller is known but their role does not allow the operation. */
export class ForbiddenError extends DomainError {
  constructor(message = 'This operation needs a role you do not have') {
    super(message, 'FORBIDDEN');
  }
}

/** No valid credentials where they are required (HTTP 401). */
export class UnauthenticatedError extends DomainError {
  constructor(message = 'A valid API key is required') {
    super(message, 'UNAUTHENTICATED');
  }
}
