export * from './job-scheduler';
