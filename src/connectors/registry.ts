// The one explicit map of connectors. No directory scanning, no dynamic import: adding a system
// means adding a line here.
import type { ConnectorModule } from '../core/connector.js';
import { SyncError } from '../core/errors.js';
import type { SystemConfig } from '../mapping/schema.js';
import { connectwiseConnector } from './connectwise/index.js';
import { freshserviceConnector } from './freshservice/index.js';
import { jsmConnector } from './jsm/index.js';

type Kind = SystemConfig['kind'];

export const connectors: ReadonlyMap<Kind, ConnectorModule> = new Map<Kind, ConnectorModule>([
  ['connectwise', connectwiseConnector as unknown as ConnectorModule],
  ['jsm', jsmConnector as unknown as ConnectorModule],
  ['freshservice', freshserviceConnector as unknown as ConnectorModule],
]);

export function connectorModule(kind: Kind): ConnectorModule {
  const module = connectors.get(kind);
  if (!module) throw new SyncError('config_invalid', `no connector for system kind "${kind}"`);
  return module;
}
