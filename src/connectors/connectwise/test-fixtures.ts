// Shared test values: the demo ConnectWise system (issue 8's demo credentials) at a given URL.
import type { CwSystemConfig } from './client.js';

export const DEMO_CLIENT_ID = '11111111-2222-3333-4444-555555555555';

export function demoSystem(baseUrl: string, options: CwSystemConfig['options'] = { codebase: 'v4_6_release/', companyIdentifier: 'Contoso' }): CwSystemConfig {
  return {
    kind: 'connectwise',
    baseUrl,
    credentials: { company: 'demo', publicKey: 'demo-public', privateKey: 'demo-private', clientId: DEMO_CLIENT_ID },
    ...(options === undefined ? {} : { options }),
  };
}
