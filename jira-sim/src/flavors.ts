import type { Flavor } from './context.js';

export const FLAVORS: readonly Flavor[] = ['cloud', 'server', 'dc9', 'dc10'];

export function isFlavor(value: string): value is Flavor {
  return (FLAVORS as readonly string[]).includes(value);
}

type FlavorInfo = {
  deploymentType: 'Cloud' | 'Server' | 'DataCenter';
  version: string;
  versionNumbers: [number, number, number];
  buildNumber: number;
  buildDate: string;
  scmInfo: string;
  serverTitle: string;
};

// Versions of real releases, so clients that branch on versionNumbers take the same path.
const INFO: Record<Flavor, FlavorInfo> = {
  cloud: {
    deploymentType: 'Cloud',
    version: '1001.0.0-SNAPSHOT',
    versionNumbers: [1001, 0, 0],
    buildNumber: 100282,
    buildDate: '2025-06-02T00:00:00.000+0000',
    scmInfo: '5d1b1e0a1bb35f4d8f5b3d0fbdf1e1b2a3c4d5e6',
    serverTitle: 'Jira',
  },
  server: {
    deploymentType: 'Server',
    version: '8.20.30',
    versionNumbers: [8, 20, 30],
    buildNumber: 820030,
    buildDate: '2024-01-09T00:00:00.000+0000',
    scmInfo: '7bf5a18d29c1a3f5d6a3e2f4b7c8d9e0f1a2b3c4',
    serverTitle: 'Jira',
  },
  dc9: {
    deploymentType: 'DataCenter',
    version: '9.12.15',
    versionNumbers: [9, 12, 15],
    buildNumber: 912015,
    buildDate: '2024-10-08T00:00:00.000+0000',
    scmInfo: '2a7c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e',
    serverTitle: 'Jira',
  },
  dc10: {
    deploymentType: 'DataCenter',
    version: '10.3.6',
    versionNumbers: [10, 3, 6],
    buildNumber: 10030006,
    buildDate: '2025-05-13T00:00:00.000+0000',
    scmInfo: '9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d',
    serverTitle: 'Jira',
  },
};

export function flavorInfo(flavor: Flavor): FlavorInfo {
  return INFO[flavor];
}

export const isCloud = (flavor: Flavor) => flavor === 'cloud';
