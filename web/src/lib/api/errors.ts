// API errors as people read them: each `extensions.code` becomes a sentence in the
// current language, and VALIDATION's `fields` go next to the inputs they are about.
import type { CombinedError } from '@urql/core';

/** One wrong input field, named as in the API input (camelCase, `emails[1]`). */
export interface FieldError {
  field: string;
  message: string;
}

/** An error the api answered, or a network failure (code NETWORK). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly fields: FieldError[] = [],
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }

  /** The message for `field`, if the api refused that field. */
  field(name: string): string | undefined {
    return this.fields.find((f) => f.field === name)?.message;
  }
}

/** The first error of an urql result, typed. */
export function fromCombined(error: CombinedError): ApiError {
  const first = error.graphQLErrors[0];
  if (first) {
    const ext = (first.extensions ?? {}) as Record<string, unknown>;
    const fields = Array.isArray(ext.fields) ? (ext.fields as FieldError[]) : [];
    return new ApiError(
      typeof ext.code === 'string' ? ext.code : 'INTERNAL',
      first.message,
      fields,
      typeof ext.retryAfter === 'number' ? ext.retryAfter : null,
    );
  }
  const response = error.response as Response | undefined;
  if (response?.status === 503) return new ApiError('UNAVAILABLE', error.message);
  return new ApiError('NETWORK', error.networkError?.message ?? error.message);
}
