import { postgresHarness } from '../conformance/db/harness.js';
import { runCorrelateSuite } from './suite.js';

runCorrelateSuite('postgres', await postgresHarness('correlate'));
