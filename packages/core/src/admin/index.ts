export type { AdminResource, OwnerLiveness, ResourceKind, ResourceOwner } from './admin-resource.js';
export type { BackendAdmin, BackendAdminModule, BackendTarget } from './backend-admin.js';
export { isBackendAdmin } from './is-backend-admin.js';
export type { ListResourcesOptions, PruneProgressEvent, PruneResourcesOptions } from './prune-options.js';
export type { PruneFailure, PruneResourcesReport } from './prune-report.js';
export { type PruneSteps, pruneResources } from './prune-resources.js';
export { isSelectedForPrune, matchesListOptions } from './prune-selection.js';
export { inRemovalOrder, type OrderedSnapshot } from './removal-order.js';
export { describeOwner, ownerFromLabels, userLabels } from './resource-owner.js';
