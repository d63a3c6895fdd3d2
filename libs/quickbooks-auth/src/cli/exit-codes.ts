/** Exit codes of the `quickbooks-auth` command, the same for every subcommand. */
export const ExitCode = {
  /** Done. */
  ok: 0,
  /** The work failed: store unreachable, a migration failed, connections left unencrypted... */
  failed: 1,
  /** Bad command line or configuration: an unknown option, a missing variable (named in the message). */
  usage: 2,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
