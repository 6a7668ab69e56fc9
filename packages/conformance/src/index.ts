export { type ConformanceOptions, describeContainerConformance } from './conformance.js';
export { defaultServerCommand, type EndpointRequest, type SandboxUnsupported } from './sandbox-conformance.js';
