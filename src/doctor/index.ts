// `ticketbridge doctor`: for every system in a config, the checks of the vendor behaviour the
// connectors rely on but the vendors' docs leave open. Read-only unless `write` is set, when each
// system gets one probe ticket, deleted again at the end.
import type { Config } from '../mapping/schema.js';
import { systemsUnderTest, type CheckResult, type DoctorOptions } from './check.js';
import { connectwiseChecks } from './connectwise.js';
import { freshserviceChecks } from './freshservice.js';
import { jsmChecks } from './jsm.js';

export { formatResult, type CheckResult, type DoctorOptions } from './check.js';

/** Runs every check for every system (or only `system`), one system after the other. */
export async function runDoctor(config: Config, options: DoctorOptions, system?: string): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const sut of systemsUnderTest(config, system)) {
    switch (sut.system.kind) {
      case 'connectwise':
        out.push(...(await connectwiseChecks(sut, options)));
        break;
      case 'jsm':
        out.push(...(await jsmChecks(sut, options)));
        break;
      case 'freshservice':
        out.push(...(await freshserviceChecks(sut, options)));
        break;
    }
  }
  return out;
}
