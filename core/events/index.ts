export * from './hook-bus';
