/** Every store contract, on the SQLite stores (docs/decisions.md D125). */
import { SQLITE } from './harness.js';
import { eventStoreContract } from './event-store.contract.js';
import { idempotencyKeyStoreContract } from './idempotency-key-store.contract.js';
import { webhookStoreContract } from './webhook-store.contract.js';
import { orderStoreContract } from './order-store.contract.js';
import { buyIntentStoreContract } from './buy-intent-store.contract.js';
import { orderSupportStoreContract } from './order-support-store.contract.js';
import { accountStoreContract } from './account-store.contract.js';
import { consoleSessionStoreContract } from './console-session-store.contract.js';
import { healthStoreContract } from './health-store.contract.js';
import { pricingRuleStoreContract } from './pricing-store.contract.js';
import { settingsStoreContract } from './settings-store.contract.js';

eventStoreContract(SQLITE);
webhookStoreContract(SQLITE);
idempotencyKeyStoreContract(SQLITE);
orderStoreContract(SQLITE);
buyIntentStoreContract(SQLITE);
orderSupportStoreContract(SQLITE);
accountStoreContract(SQLITE);
pricingRuleStoreContract(SQLITE);
settingsStoreContract(SQLITE);
consoleSessionStoreContract(SQLITE);
healthStoreContract(SQLITE);
