import { DomainError } from '../../lib/errors.js';

/** A presented API key is malformed, unknown or revoked (HTTP 401). */
export class InvalidApiKeyError extends DomainError {
  constructor() {
    super('The API key is invalid or has been revoked', 'INVALID_API_KEY');
  }
}

/** Ends a subscription whose API key was revoked (or changed) while it was open. */
export class ApiKeyRevokedError extends DomainError {
  constructor() {
    super('The API key was revoked or changed: this subscription has ended', 'UNAUTHENTICATED');
  }
}
