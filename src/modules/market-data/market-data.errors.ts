import { NotFoundError } from '../../lib/errors.js';

/** No instrument with that symbol. */
export class InstrumentNotFoundError extends NotFoundError {
  constructor(symbol: string) {
    super('Instrument', symbol);
  }
}
