// Write cases/case.schema.json from the check modules (the loader uses the same schema in memory).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { caseSchema } from '../src/cases/case-schema.ts';
import { projectRoot } from '../src/config/paths.ts';

writeFileSync(join(projectRoot, 'cases', 'case.schema.json'), `${JSON.stringify(caseSchema(), null, 2)}\n`);
