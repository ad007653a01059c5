import { runRepositoryConformance } from './suite.js';
import { sqliteHarness } from './harness.js';

runRepositoryConformance('sqlite', await sqliteHarness());
