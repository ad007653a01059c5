import { runRepositoryConformance } from './suite.js';
import { postgresHarness } from './harness.js';

runRepositoryConformance('postgres', await postgresHarness('conf'));
