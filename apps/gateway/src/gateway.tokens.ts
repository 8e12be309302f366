export const PG_POOL = Symbol('PG_POOL');
export const TEMPORAL_CLIENT = Symbol('TEMPORAL_CLIENT');
export const GATEWAY_SETTINGS = Symbol('GATEWAY_SETTINGS');
export const EVENT_STORE = Symbol('EVENT_STORE');
export const SERVICE_CATALOG = Symbol('SERVICE_CATALOG');
export const READ_MODELS = Symbol('READ_MODELS');
export const PROJECTIONS = Symbol('PROJECTIONS');
export const TOKEN_REGISTRY = Symbol('TOKEN_REGISTRY');
