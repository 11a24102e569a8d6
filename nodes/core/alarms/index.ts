// Alarm rules with the semantics of ISA-18.2 and OPC UA Part 9, one episode per problem.
export * from './types';
export * from './schema';
export * from './rules';
export * from './engine';
export * from './control';
export * from './committer';
export * from './runtime';
export * from './restore';
export * from './settings';
export * from './records';
export { eventIdFor, episodeIdFor, type CondKind } from './ids';
export type { HealthFigures } from './health';
export * from './load';
export { surelyValidReadings } from './fast-readings';
export * from './preview';
