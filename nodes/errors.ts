/** A run that cannot go on because of what it was given (not Polar's fault, not retryable). */
export class WorkflowInputError extends Error {
  readonly code = "invalid_input";
  readonly path: string;

  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = "WorkflowInputError";
    this.path = path;
  }
}
