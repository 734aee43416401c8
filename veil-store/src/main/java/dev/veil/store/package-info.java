/**
 * Veil's metadata store: API keys (as hashes), per-request metadata and daily usage totals, in SQLite or PostgreSQL.
 *
 * <p>The store never holds prompt or response content, nor client IP addresses, and never logs SQL parameter values.
 * Every stored column is listed in {@code docs/privacy.md}; {@code PrivacyInventoryTest} keeps that list and the
 * schema in step. All access is blocking JDBC: call it from a worker pool, never from an event loop.
 */
package dev.veil.store;
