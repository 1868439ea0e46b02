// The one error type of the JavaScript API. `code` is one of the core's error code names (the core
// returns {ok, error: {code, message}} and never throws, ../../shared/docs/ARCHITECTURE.md rule 3),
// or one of the few only this layer can meet:
//   network_error    a file could not be fetched (the message has the URL and the HTTP status)
//   storage_error    the shard store failed (reported through onError; loading goes on from the network)
//   model_mismatch   the embedding proxy answered with another model than the index was built with

export class MosaicError extends Error {
  /** @type {'MosaicError'} */
  name = 'MosaicError';

  /**
   * @param {string} code
   * @param {string} message
   * @param {{ status?: number, file?: string }} [details]
   */
  constructor(code, message, details = {}) {
    super(message);
    this.code = code;
    // Declared for type checkers only (no property is made): the details given become own properties.
    /** @type {string | undefined} for shard failures: the file that was refused or could not be fetched */
    this.file;
    /** @type {number | undefined} for network_error and proxy errors: the HTTP status */
    this.status;
    Object.assign(this, details);
  }
}

/**
 * A core outcome's value, or its error thrown as a MosaicError with the core's code and message
 * (`context`, when given, says which file or argument it was about).
 * @param {{ ok: boolean, value?: any, error?: { code: string, message: string } }} outcome
 * @param {string} [context]
 * @returns {any}
 */
export function unwrap(outcome, context) {
  if (outcome.ok) return outcome.value;
  throw refusal(outcome, context);
}

/**
 * The MosaicError of a failed core outcome (of any shape: the model module's carry no `value`).
 * @param {{ error?: { code: string, message: string } }} outcome
 * @param {string} [context]
 */
export function refusal(outcome, context) {
  const { code, message } = outcome.error ?? { code: 'invalid_argument', message: 'the core gave no error' };
  return new MosaicError(code, context === undefined ? message : `${context}: ${message}`);
}

/**
 * A shard's failure as a MosaicError naming the shard file: anything that is not one already (a
 * fetch's TypeError, a broken stream) is a network_error.
 * @param {unknown} cause
 * @param {string} file
 */
export function shardError(cause, file) {
  const error = cause instanceof MosaicError ? cause : new MosaicError('network_error', `${file}: ${messageOf(cause)}`);
  error.file = file;
  return error;
}

/** @param {unknown} cause */
export function messageOf(cause) {
  return cause instanceof Error ? cause.message : String(cause);
}
