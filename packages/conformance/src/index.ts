export { type ConformanceOptions, describeContainerConformance } from './conformance.js';
