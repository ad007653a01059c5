import { sqliteHarness } from '../../conformance/db/harness.js';
import { workerCases } from './cases.js';

workerCases('sqlite', await sqliteHarness());
