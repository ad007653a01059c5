import { sqliteHarness } from '../../conformance/db/harness.js';
import { ingestRepositoryCases } from './cases.js';

ingestRepositoryCases('sqlite', await sqliteHarness());
