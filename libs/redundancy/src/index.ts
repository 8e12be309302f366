export { checkRedundancy, dependencyMap, wholeFleet } from './check-redundancy';
export type { DependencyMapEntry, FleetRegion, RedundancyCheck, RedundancyRequest } from './check-redundancy';
export { DependencyReader, type Dependencies } from './dependency-values';
export { checkSpofRules, type OtherDependency, type RegionDependencies, type SpofViolation } from './spof-rules';
export { FleetConfigs, type FleetSources } from './fleet-configs';
