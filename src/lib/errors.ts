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

/**
 * One problem with an input. The only issue type: the engine, services, GraphQL and the
 * command-line tools all report with it.
 */
export interface ValidationIssue {
  /** Path of the offending input field, e.g. ["candles", "3", "high"]. */
  readonly path: readonly string[];
  readonly message: string;
  /**
   * For a problem with one element of a list input (a candle of an ingest): its index and
   * field, so a caller that knows where the element came from (a CSV line) can say so
   * without reading the message.
   */
  readonly row?: number;
  readonly field?: string;
}

/**
 * Collects issues up to `max`; the rest are counted and summarised as one "…and N more"
 * issue at `overflowPath`, so a million bad rows never produce a million-line message.
 */
export class IssueList {
  private readonly listed: ValidationIssue[] = [];
  private omitted = 0;

  constructor(
    private readonly max: number,
    private readonly overflowPath: readonly string[],
  ) {}

  add(issue: ValidationIssue): void {
    if (this.listed.length < this.max) this.listed.push(issue);
    else this.omitted += 1;
  }

  get length(): number {
    return this.listed.length + this.omitted;
  }

  /** The listed issues, plus the summary of the omitted ones. */
  toArray(): ValidationIssue[] {
    return this.omitted ? [...this.listed, { path: this.overflowPath, message: `…and ${this.omitted} more problems` }] : [...this.listed];
  }
}

/** Bad input: thrown before anything is changed. Lists every problem found, not just the first. */
export class ValidationError extends DomainError {
  constructor(
    readonly issues: readonly ValidationIssue[],
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

/** Too many requests of one kind from one API key: retry after `retryAfterSeconds`. */
export class RateLimitedError extends DomainError {
  constructor(
    readonly action: string,
    readonly retryAfterSeconds: number,
  ) {
    super(`Too many ${action} for this API key: try again in ${retryAfterSeconds} s`, 'RATE_LIMITED');
  }
}

/**
 * The process is shutting down (SIGTERM): ends what it was serving — a subscription — with a
 * reason the client can act on (reconnect, to another replica or after the restart).
 */
export class ShuttingDownError extends DomainError {
  constructor() {
    super('The server is shutting down: this subscription has ended, reconnect to continue', 'SERVICE_UNAVAILABLE');
  }
}
