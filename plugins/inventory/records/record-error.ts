/** Where in a request body a record fault was found. Record numbers count from 1. */
export interface RecordFaultLocation {
  record?: number;
  offset?: number;
  line?: number;
  column?: number;
}

/**
 * A bibliographic record the client sent cannot be taken. `fault` is a stable kebab-case code
 * (e.g. 'marc-leader-invalid', 'xml-not-well-formed'); the message is a sentence that names the
 * fault and where it is.
 */
export class RecordError extends Error {
  override readonly name = 'RecordError';

  constructor(
    readonly fault: string,
    detail: string,
    readonly where?: RecordFaultLocation,
  ) {
    super(where ? `${describeLocation(where)}: ${detail}` : detail);
  }
}

function describeLocation(where: RecordFaultLocation): string {
  const parts: string[] = [];
  if (where.record !== undefined) parts.push(`record ${where.record}`);
  if (where.offset !== undefined) parts.push(`byte offset ${where.offset}`);
  if (where.line !== undefined) parts.push(`line ${where.line}`);
  if (where.column !== undefined) parts.push(`column ${where.column}`);
  const text = parts.join(', ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}
