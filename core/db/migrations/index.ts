import { CoreInitial1764400000000 } from './1764400000000-core-initial';
import { InventoryIngest1764500000000 } from './1764500000000-inventory-ingest';
import { ChangeClock1764600000000 } from './1764600000000-change-clock';

/** The core's migrations, oldest first. */
export const coreMigrations = [CoreInitial1764400000000, InventoryIngest1764500000000, ChangeClock1764600000000];
