export { type ConformanceOptions, describeContainerConformance } from './conformance.js';
export { defaultServerCommand, type SandboxUnsupported } from './sandbox-conformance.js';
