import { sqliteHarness } from '../conformance/db/harness.js';
import { runCorrelateSuite } from './suite.js';

runCorrelateSuite('sqlite', await sqliteHarness());
