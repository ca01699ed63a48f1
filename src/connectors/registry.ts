// The one explicit map of connectors. No directory scanning, no dynamic import: adding a system
// means adding a line here.
import type { ConnectorModule } from '../core/connector.js';
import { ConfigError } from '../core/errors.js';
import type { SystemConfig } from '../mapping/schema.js';
import { connectwiseConnector } from './connectwise/index.js';
import { freshserviceConnector } from './freshservice/index.js';
import { jsmConnector } from './jsm/index.js';

type Kind = SystemConfig['kind'];

export const connectors: ReadonlyMap<Kind, ConnectorModule> = new Map<Kind, ConnectorModule>([
  ['connectwise', connectwiseConnector],
  ['jsm', jsmConnector],
  ['freshservice', freshserviceConnector],
]);

export function connectorModule(kind: Kind): ConnectorModule {
  const module = connectors.get(kind);
  if (!module) throw new ConfigError(`no connector for system kind "${kind}"`);
  return module;
}
