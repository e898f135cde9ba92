// Why `init` / `check` cannot work with a source as asked: unreachable, unknown schema, nothing to expose.

export type SourceInputProblem = 'source_unreachable' | 'unknown_schema' | 'empty_schema' | 'nothing_selected';

/** A problem with what the operator asked for (not a defect): the CLI exits with status 2 and prints the message. */
export class SourceInputError extends Error {
  readonly code: SourceInputProblem;
  constructor(code: SourceInputProblem, message: string) {
    super(message);
    this.name = 'SourceInputError';
    this.code = code;
  }
}
