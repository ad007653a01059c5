/** The version every command reports (kept with package.json). */
export const VERSION = '0.1.0';
