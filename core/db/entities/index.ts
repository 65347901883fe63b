export * from './collection.entity';
export * from './title.entity';
export * from './representation.entity';
export * from './digital-file.entity';
export * from './access-rights-profile.entity';
export * from './change-event.entity';
export * from './user.entity';
export * from './api-key.entity';
export * from './plugin-state.entity';
export * from './job-run.entity';

import { Collection } from './collection.entity';
import { Title } from './title.entity';
import { Representation } from './representation.entity';
import { DigitalFile } from './digital-file.entity';
import { AccessRightsProfile } from './access-rights-profile.entity';
import { ChangeEvent } from './change-event.entity';
import { User } from './user.entity';
import { ApiKey } from './api-key.entity';
import { PluginState } from './plugin-state.entity';
import { JobRun } from './job-run.entity';

/** Every entity the core contributes to the DataSource. */
export const coreEntities = [
  Collection, Title, Representation, DigitalFile, AccessRightsProfile, ChangeEvent, User, ApiKey, PluginState, JobRun,
];
