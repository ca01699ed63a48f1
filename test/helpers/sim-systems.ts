// The YAML lines of a Freshservice or ConnectWise system on a simulator port, with the demo's
// credentials (config/demo.yaml), for tests that write their own config file. `extra` lines are
// the system's further keys, indented as its other keys are.
const CW_CREDENTIALS =
  '{ company: demo, publicKey: demo-public, privateKey: demo-private, clientId: 11111111-2222-3333-4444-555555555555 }';

export function freshserviceSystemYaml(name: string, port: number, extra: string[] = []): string[] {
  return [
    `  ${name}:`,
    '    kind: freshservice',
    `    baseUrl: http://127.0.0.1:${port}`,
    '    credentials: { apiKey: demo-freshservice-key }',
    ...extra.map((line) => `    ${line}`),
  ];
}

export function connectwiseSystemYaml(name: string, port: number, extra: string[] = []): string[] {
  return [
    `  ${name}:`,
    '    kind: connectwise',
    `    baseUrl: http://127.0.0.1:${port}`,
    `    credentials: ${CW_CREDENTIALS}`,
    '    options: { codebase: v4_6_release/, companyIdentifier: Contoso }',
    ...extra.map((line) => `    ${line}`),
  ];
}
