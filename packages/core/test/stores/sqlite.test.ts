/** Every store contract, on the SQLite stores (docs/decisions.md D125). */
import { SQLITE } from './harness.js';

// Each contract file adds its line here.
void SQLITE;
