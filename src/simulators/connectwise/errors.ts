// ConnectWise's error bodies (`{code, message, errors}`) and the exception the simulator's
// handlers throw to answer with one. Shapes follow the observed vendor bodies in the research note.

export interface CwValidationError {
  code: string;
  message: string;
  resource: string;
  field: string;
}

export interface CwErrorBody {
  code: string;
  message: string;
  errors?: CwValidationError[] | null;
}

/** Thrown by handlers; the route layer turns it into the HTTP answer. */
export class CwHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: CwErrorBody,
  ) {
    super(body.message);
  }
}

export function notFound(entity: string, id: number | string): CwHttpError {
  return new CwHttpError(404, { code: 'NotFound', message: `${entity} ${id} not found` });
}

export function endpointMissing(): CwHttpError {
  return new CwHttpError(404, { code: 'ConnectWiseApi', message: 'The endpoint does not exist.' });
}

/** 400 with one validation entry, the shape of `InvalidObject` answers. */
export function invalidObject(resource: string, code: string, field: string, message: string): CwHttpError {
  return new CwHttpError(400, {
    code: 'InvalidObject',
    message: `${resource} object is invalid`,
    errors: [{ code, message, resource, field }],
  });
}

export function missingField(resource: string, field: string): CwHttpError {
  return invalidObject(resource, 'MissingRequiredField', field, `The ${field} field is required.`);
}

export function invalidField(resource: string, field: string, message: string): CwHttpError {
  return invalidObject(resource, 'InvalidField', field, message);
}

/** The body for an injected fault status (the common fault layer calls this). */
export function errorBodyFor(status: number): unknown {
  switch (status) {
    case 400:
      return { code: 'InvalidObject', message: 'The request is invalid.', errors: null };
    case 401:
      return { code: 'Unauthorized', message: 'Unauthorized', errors: null };
    case 403:
      return { code: 'Forbidden', message: 'You do not have access to this resource.', errors: null };
    case 404:
      return { code: 'NotFound', message: 'The record was not found.' };
    case 409:
      return { code: 'Conflict', message: 'The record is in use.', errors: null };
    case 429:
      // The vendor's throttling body uses `error`, not `code` (research note §7).
      return { error: 'ConnectWiseAPI', message: 'Too many requests. Please try again in 30 seconds.' };
    default:
      return { code: 'UnexpectedError', message: 'An unexpected error occurred.', errors: null };
  }
}
