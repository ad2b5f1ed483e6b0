/**
 * An error caused by the user's input (a bad file, option, frame or network description).
 * The command line prints its message without a stack trace and exits with status 1
 * (or 2 for usage errors).
 */
export class UserError extends Error {
  constructor(
    message: string,
    /** 2 for command-line usage mistakes, 1 for bad input files and impossible requests. */
    readonly exitCode: number = 1,
  ) {
    super(message);
    // (lowered to ES5, super() returns a plain Error: give it this class's prototype, so that
    // instanceof UserError holds in every engine)
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = 'UserError';
  }
}
