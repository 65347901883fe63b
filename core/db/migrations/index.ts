import { CoreInitial1764400000000 } from './1764400000000-core-initial';

/** The core's migrations, oldest first. */
export const coreMigrations = [CoreInitial1764400000000];
