/**
 * The pinned ATT&CK release (ttp.md §10.1, CORRECTIONS #9.8). A new release is a new file,
 * new pins here, and the pack relinted: a revoked technique then fails with its replacement.
 */
export const ATTACK_VERSION = '18.1';
export const ATTACK_DOMAIN = 'enterprise-attack';
export const BUNDLE_FILE = `enterprise-attack-${ATTACK_VERSION}.json`;
/** SHA-256 of the shipped bundle. */
export const BUNDLE_SHA256 = '537a8abea09aeb294bec4ea53b40063340d87f117e047cabc193e2c16c18f8a4';
export const LICENSE_FILE = 'LICENSE.txt';
/** SHA-256 of MITRE's licence text beside the bundle. */
export const LICENSE_SHA256 = '0019296a8f089883b36484dc92cb07ea779caabc7a950d7798366015f57a5bf7';
/** MITRE's copyright designation, word for word; every copy of the data reproduces it. */
export const ATTACK_NOTICE = '© 2025 The MITRE Corporation. This work is reproduced and distributed with the permission of The MITRE Corporation.';
