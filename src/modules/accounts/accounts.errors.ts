import { DomainError } from '../../lib/errors.js';

/** A presented API key is malformed, unknown or revoked (HTTP 401). */
export class InvalidApiKeyError extends DomainError {
  constructor() {
    super('The API key is invalid or has been revoked', 'INVALID_API_KEY');
  }
}
