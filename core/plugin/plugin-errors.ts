import { defineErrors } from '../errors';

/** A plugin problem that stops boot; the message names the plugin (and the key or dependency). */
export class PluginBootError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PluginBootError';
  }
}

/** Errors of the plugin admin operations (admin API and CLI). */
export const PluginErrors = defineErrors('plugin', {
  UNKNOWN: { status: 404, title: 'No such plugin' },
  INVALID_CONFIG: { status: 400, title: 'Invalid plugin configuration' },
  DEPENDENCY_DISABLED: { status: 409, title: 'A plugin this one depends on is disabled' },
  HAS_DEPENDENTS: { status: 409, title: 'Enabled plugins depend on this one' },
  REQUIRED: { status: 409, title: 'This plugin is part of the core and cannot be disabled' },
  INIT_FAILED: { status: 500, title: 'The plugin failed to start', level: 'error' },
});
