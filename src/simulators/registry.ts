// The one explicit map of simulators, by system kind.
import type { SystemConfig } from '../mapping/schema.js';
import { connectwiseSimulator } from './connectwise/index.js';
import { freshserviceSimulator } from './freshservice/index.js';
import { jsmSimulator } from './jsm/index.js';
import type { SimulatorModule } from './types.js';

type Kind = SystemConfig['kind'];

export const simulators: ReadonlyMap<Kind, SimulatorModule> = new Map<Kind, SimulatorModule>([
  ['connectwise', connectwiseSimulator as unknown as SimulatorModule],
  ['jsm', jsmSimulator as unknown as SimulatorModule],
  ['freshservice', freshserviceSimulator as unknown as SimulatorModule],
]);
