// Inline YAML fixtures for the mapping tests: a dedent helper and one small valid config.

/** Strips the common indentation of a template literal and its first newline. */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((out, part, i) => out + part + (i < values.length ? String(values[i]) : ''), '');
  const lines = text
    .replace(/^\n/, '')
    .replace(/\n\s*$/, '\n')
    .split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

export const ENV = {
  FS_API_KEY: 'fs-key-0123456789',
  CW_PUBLIC: 'cw-public-abcdef',
  CW_PRIVATE: 'cw-private-ghijkl',
  CW_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
};

/** A valid Freshservice ⇄ ConnectWise config; tests copy it and break one line at a time. */
export const VALID = yaml`
  systems:
    fs:
      kind: freshservice
      baseUrl: https://acme.freshservice.com
      credentials:
        apiKey: \${env:FS_API_KEY}
    cw:
      kind: connectwise
      baseUrl: https://cw.example.com
      credentials:
        company: acme
        publicKey: \${env:CW_PUBLIC}
        privateKey: \${env:CW_PRIVATE}
        clientId: \${env:CW_CLIENT_ID}
  connections:
    fs-cw:
      a:
        system: fs
        scope:
          groups: [MSP]
      b:
        system: cw
        scope:
          boards: [Co-Managed FS]
      fields:
        - name: status
          a: status
          b: status
          owner: both
          map:
            - { a: 2, b: New }
            - { a: 3, b: In Progress }
        - name: summary
          a: subject
          b: summary
          owner: a
          type: text
`;
