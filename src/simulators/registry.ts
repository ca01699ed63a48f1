// The one explicit map of simulators, by system kind.
import type { SystemConfig } from '../mapping/schema.js';
import { connectwiseSimulator } from './connectwise/index.js';
import { freshserviceSimulator } from './freshservice/index.js';
import { jsmSimulator } from './jsm/index.js';
import type { SimulatorModule, SimulatorStartOptions } from './types.js';

type Kind = SystemConfig['kind'];

/** A simulator as the registry holds it: its start checks the system's kind before its own start sees it. */
function anyKind<K extends Kind>(module: SimulatorModule<K>): SimulatorModule {
  return {
    kind: module.kind,
    start(options) {
      if (options.system.kind !== module.kind)
        throw new Error(`a ${options.system.kind} system cannot be served by the ${module.kind} simulator`);
      return module.start(options as SimulatorStartOptions<Extract<SystemConfig, { kind: K }>>);
    },
  };
}

export const simulators: ReadonlyMap<Kind, SimulatorModule> = new Map<Kind, SimulatorModule>([
  ['connectwise', anyKind(connectwiseSimulator)],
  ['jsm', anyKind(jsmSimulator)],
  ['freshservice', anyKind(freshserviceSimulator)],
]);
