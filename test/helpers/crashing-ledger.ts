// A ledger whose next matching commit fails, as if the daemon died after its remote writes and
// before the ledger transaction: for the crash-recovery tests of the engine.
import type { Ledger, PassCommit } from '../../src/core/ledger/types.js';

export interface CrashingLedger extends Ledger {
  /** Makes the next commit matching `when` fail (once). */
  arm(): void;
}

export function crashingLedger(
  ledger: Ledger,
  when: (pass: PassCommit) => boolean,
  options: { armed?: boolean } = {},
): CrashingLedger {
  let armed = options.armed ?? true;
  const wrapped = Object.create(ledger) as CrashingLedger;
  wrapped.commit = async (pass: PassCommit) => {
    if (armed && when(pass)) {
      armed = false;
      throw new Error('process killed before commit');
    }
    return ledger.commit(pass);
  };
  wrapped.arm = () => {
    armed = true;
  };
  return wrapped;
}
