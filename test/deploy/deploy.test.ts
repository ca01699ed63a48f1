// The deployment files are valid Kubernetes: the plain manifests in deploy/kubernetes/ and the Helm
// chart in deploy/helm/ticketbridge/ (rendered with test/helpers/helm-template.ts, since neither
// npm nor Debian ships Helm) are validated against the Kubernetes and Prometheus Operator JSON
// schemas of kubernetes-models, and the config they carry is one ticketbridge accepts.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { preflight } from '../../src/daemon.js';
import { parseConfigText } from '../../src/mapping/loader.js';
import { renderChart } from '../helpers/helm-template.js';

const ROOT = resolve(import.meta.dirname, '../..');
const EXAMPLE = readFileSync(join(ROOT, 'config/examples/freshservice-connectwise.yaml'), 'utf8');

type K8sObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string } };

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/ConfigMap': ConfigMap,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

/** Throws the schema's message when the object is not valid for its apiVersion and kind. */
function validate(object: K8sObject): void {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
  new Model(object as never).validate();
}

const byKind = (objects: K8sObject[], kind: string): K8sObject => {
  const found = objects.find((o) => o.kind === kind);
  if (!found) throw new Error(`no ${kind} among ${objects.map((o) => o.kind).join(', ')}`);
  return found;
};

/** What a pod's container and volumes need to agree on with the other objects. */
function checkWiring(objects: K8sObject[]): void {
  const deployment = byKind(objects, 'Deployment') as unknown as {
    spec: {
      selector: { matchLabels: Record<string, string> };
      template: {
        metadata: { labels: Record<string, string> };
        spec: {
          containers: Array<{
            args: string[];
            envFrom: Array<{ secretRef: { name: string } }>;
            readinessProbe: { httpGet: { path: string } };
            livenessProbe: { httpGet: { path: string } };
          }>;
          volumes: Array<{ name: string; configMap?: { name: string } }>;
          securityContext: { runAsUser: number };
        };
      };
    };
  };
  const pod = deployment.spec.template;
  expect(pod.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
  const [container] = pod.spec.containers;
  expect(container!.args).toEqual(['run', '--config', '/etc/ticketbridge/config.yaml']);
  expect(container!.readinessProbe.httpGet.path).toBe('/readyz');
  expect(container!.livenessProbe.httpGet.path).toBe('/healthz');
  expect(pod.spec.securityContext.runAsUser).toBe(10001); // the Dockerfile's fixed uid
  const configMap = byKind(objects, 'ConfigMap');
  expect(pod.spec.volumes.find((v) => v.name === 'config')?.configMap?.name).toBe(configMap.metadata.name);
  const service = byKind(objects, 'Service') as unknown as { spec: { selector: Record<string, string> } };
  expect(pod.metadata.labels).toMatchObject(service.spec.selector);
  const secretName = container!.envFrom[0]!.secretRef.name;
  const monitor = objects.find((o) => o.kind === 'ServiceMonitor') as
    | undefined
    | { spec: { endpoints: Array<{ path: string; authorization: { credentials: { name: string; key: string } } }> } };
  if (monitor) {
    expect(monitor.spec.endpoints[0]!.path).toBe('/metrics');
    expect(monitor.spec.endpoints[0]!.authorization.credentials).toEqual({
      name: secretName,
      key: 'TICKETBRIDGE_TOKEN',
    });
  }
}

/** The config the ConfigMap carries loads with the Secret's keys as its environment, and passes run's start-up checks. */
async function checkConfig(objects: K8sObject[], env: Record<string, string>): Promise<void> {
  const text = (byKind(objects, 'ConfigMap') as unknown as { data: Record<string, string> }).data['config.yaml']!;
  const { config } = parseConfigText(text, 'config.yaml', { env });
  expect(config.server.host).toBe('0.0.0.0');
  await expect(preflight(config)).resolves.toMatchObject({ warnings: expect.any(Array) });
}

describe('deploy/kubernetes', () => {
  const dir = join(ROOT, 'deploy/kubernetes');
  const objects = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as K8sObject));

  it('holds a Deployment with probes, a Secret, a ConfigMap, a PVC, a Service and a ServiceMonitor, each valid', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'PersistentVolumeClaim',
      'Secret',
      'Service',
      'ServiceMonitor',
    ]);
    for (const object of objects)
      expect(() => validate(object), `${object.kind} ${object.metadata.name}`).not.toThrow();
    checkWiring(objects);
  });

  it('carries the example config, whose every secret the Secret provides', async () => {
    const configMap = byKind(objects, 'ConfigMap') as unknown as { data: Record<string, string> };
    expect(configMap.data['config.yaml']).toBe(EXAMPLE);
    const secret = byKind(objects, 'Secret') as unknown as { stringData: Record<string, string> };
    const referenced = [...EXAMPLE.matchAll(/\$\{env:(\w+)/g)].map((m) => m[1]);
    expect(Object.keys(secret.stringData).sort()).toEqual([...new Set(referenced)].sort());
    await checkConfig(objects, secret.stringData);
  });

  it('a broken object fails the schema (the check can fail)', () => {
    const deployment = structuredClone(byKind(objects, 'Deployment')) as unknown as {
      spec: { template: { spec: { containers: Array<{ ports: Array<{ containerPort: unknown }> }> } } };
    };
    deployment.spec.template.spec.containers[0]!.ports[0]!.containerPort = 'http';
    expect(() => validate(deployment as unknown as K8sObject)).toThrow(/containerPort must be integer/);
  });
});

describe('deploy/helm/ticketbridge', () => {
  const chart = join(ROOT, 'deploy/helm/ticketbridge');
  const secrets = {
    TICKETBRIDGE_TOKEN: 't',
    FRESHSERVICE_API_KEY: 'k',
    FRESHSERVICE_WEBHOOK_SECRET: 's',
    CW_PUBLIC_KEY: 'p',
    CW_PRIVATE_KEY: 'q',
    CW_CLIENT_ID: 'c',
  };

  it('renders valid objects with its secrets and the ServiceMonitor, wired as the plain manifests are', async () => {
    const objects = renderChart(chart, {
      release: 'tb',
      values: { secrets, serviceMonitor: { enabled: true } },
    }) as K8sObject[];
    expect(objects.map((o) => `${o.kind} ${o.metadata.name}`).sort()).toEqual([
      'ConfigMap tb-config',
      'Deployment tb',
      'PersistentVolumeClaim tb-ledger',
      'Secret tb',
      'Service tb',
      'ServiceMonitor tb',
    ]);
    for (const object of objects)
      expect(() => validate(object), `${object.kind} ${object.metadata.name}`).not.toThrow();
    checkWiring(objects);
    await checkConfig(objects, secrets);
    const deployment = byKind(objects, 'Deployment') as unknown as {
      spec: { strategy: { type: string }; template: { spec: { containers: Array<{ image: string }> } } };
    };
    expect(deployment.spec.strategy.type).toBe('Recreate');
    expect(deployment.spec.template.spec.containers[0]!.image).toBe('ticketbridge:0.1.0');
  });

  it('uses an existing Secret and no volume claim when asked (PostgreSQL ledger, several replicas)', () => {
    const objects = renderChart(chart, {
      release: 'tb',
      values: { existingSecret: 'vault-synced', persistence: { enabled: false }, replicaCount: 3 },
    }) as K8sObject[];
    expect(objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Service']);
    for (const object of objects) validate(object);
    checkWiring(objects);
    const deployment = byKind(objects, 'Deployment') as unknown as {
      spec: {
        replicas: number;
        strategy: { type: string };
        template: { spec: { containers: Array<{ envFrom: unknown }> } };
      };
    };
    expect(deployment.spec).toMatchObject({ replicas: 3, strategy: { type: 'RollingUpdate' } });
    expect(deployment.spec.template.spec.containers[0]!.envFrom).toEqual([{ secretRef: { name: 'vault-synced' } }]);
  });

  it('refuses to render without secrets or an existing Secret', () => {
    expect(() => renderChart(chart)).toThrow(
      'required: secrets: give TICKETBRIDGE_TOKEN and every ${env:NAME} the config reads, or set existingSecret',
    );
  });

  it('carries the example config by default', () => {
    const objects = renderChart(chart, { values: { secrets } }) as K8sObject[];
    expect((byKind(objects, 'ConfigMap') as unknown as { data: Record<string, string> }).data['config.yaml']).toBe(
      `${EXAMPLE.trimEnd()}\n`,
    );
  });
});

describe('the test renderer', () => {
  it('refuses template syntax it does not implement, naming file and line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-chart-'));
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: x\nversion: 0.1.0\nappVersion: "1"\n');
    writeFileSync(join(dir, 'values.yaml'), 'items: [a]\n');
    writeFileSync(
      join(dir, 'templates/cm.yaml'),
      'kind: ConfigMap\ndata:\n{{- range .Values.items }}\n  k: v\n{{- end }}\n',
    );
    expect(() => renderChart(dir)).toThrow('templates/cm.yaml:3: "range" is not supported by the test renderer');
  });
});

describe('deploy/systemd', () => {
  const unit = readFileSync(join(ROOT, 'deploy/systemd/ticketbridge.service'), 'utf8');
  const setting = (key: string): string[] =>
    [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());

  it('validates, then runs the daemon on the config, draining on SIGTERM, as an unprivileged user', () => {
    expect(setting('ExecStartPre')).toEqual([
      '/usr/bin/env ticketbridge validate --config /etc/ticketbridge/config.yaml',
    ]);
    expect(setting('ExecStart')).toEqual(['/usr/bin/env ticketbridge run --config /etc/ticketbridge/config.yaml']);
    expect(setting('KillSignal')).toEqual(['SIGTERM']);
    expect(setting('User')).toEqual(['ticketbridge']);
    expect(setting('StateDirectory')).toEqual(['ticketbridge']);
    // The example config keeps its ledger in the state directory.
    expect(EXAMPLE).toContain('path: /var/lib/ticketbridge/ledger.sqlite');
  });
});
