import { postgresHarness } from '../../conformance/db/harness.js';
import { workerCases } from './cases.js';

workerCases('postgres', await postgresHarness('ttpworker'));
