// A CLI outcome with its own exit code and one line for people (stderr), for verbs whose codes
// mean more than success (0), failure (1) and usage (2).
export class CliExit extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliExit';
  }
}
