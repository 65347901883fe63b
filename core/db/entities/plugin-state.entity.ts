import { Column, Entity, PrimaryColumn } from 'typeorm';
import { timestamp } from '../base.entity';

/** Persisted runtime state of a plugin: enabled or not, and the configuration managers set. */
@Entity('plugin_state')
export class PluginState {
  @PrimaryColumn({ type: 'varchar', length: 64, name: 'plugin_id' })
  pluginId: string;

  @Column({ type: 'boolean' })
  enabled: boolean;

  /** Settings over the manifest defaults and the config file. */
  @Column({ type: 'simple-json' })
  config: Record<string, unknown>;

  /** Bumped on every change; instances compare it to pick up changes made elsewhere. */
  @Column({ type: 'integer', default: 1 })
  revision: number;

  @Column({ ...timestamp, name: 'updated_at' })
  updatedAt: Date;
}
