import { postgresHarness } from '../../conformance/db/harness.js';
import { ingestRepositoryCases } from './cases.js';

ingestRepositoryCases('postgres', await postgresHarness('ingest'));
