/** `npm run db:migrate`: applies the committed migrations to DATABASE_URL (the server also does this at start). */
import { closeDatabase, databaseReady, databaseTarget, describeDatabaseTarget } from "@/db";

await databaseReady();
console.log(`Migrated ${describeDatabaseTarget(databaseTarget())}`);
await closeDatabase();
