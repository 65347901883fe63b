export * from './base.entity';
export * from './entities';
export * from './migrations';
export * from './migration-kit';
export * from './data-source';
export * from './unit-of-work';
export * from './migrate';
